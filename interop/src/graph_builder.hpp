#pragma once
// Appends nodes and initializers to an onnx::GraphProto with unique tensor names. The exporters
// (onnx_graph.cpp, qonnx_graph.cpp) read as the dataflow they emit, one call per node.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "onnx.pb.h"

namespace bitblock::interop {

// One node attribute: an int, a list of ints, a float or a string.
struct Attr {
  std::string name;
  enum class Kind { Int, Ints, Float, String } kind = Kind::Int;
  int64_t i = 0;
  std::vector<int64_t> ints;
  float f = 0.0f;
  std::string s;
};
Attr attr_int(const std::string& name, int64_t v);
Attr attr_ints(const std::string& name, std::vector<int64_t> v);
Attr attr_float(const std::string& name, float v);
Attr attr_string(const std::string& name, std::string v);

class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto* graph) : graph_(graph) {}

  // Initializers (constant tensors); each returns the tensor's name (base, made unique).
  std::string int64s(const std::string& base, const std::vector<int64_t>& dims, const std::vector<int64_t>& v);
  std::string uint8s(const std::string& base, const std::vector<int64_t>& dims, const std::vector<uint8_t>& v);
  std::string floats(const std::string& base, const std::vector<int64_t>& dims, const std::vector<float>& v);
  std::string int64_scalar(const std::string& base, int64_t v) { return int64s(base, {}, {v}); }
  std::string float_scalar(const std::string& base, float v) { return floats(base, {}, {v}); }

  // Adds a node with one output named after `out` (made unique); returns that name.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& out,
                   const std::vector<Attr>& attrs = {}, const std::string& domain = "");
  // The same, with the output name used exactly (graph outputs).
  void node_to(const std::string& op, const std::vector<std::string>& inputs, const std::string& out,
               const std::vector<Attr>& attrs = {}, const std::string& domain = "");

  // Graph inputs / outputs: element type, dims with "N" for the symbolic batch (-1 here).
  void input(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& dims);
  void output(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& dims);

  onnx::GraphProto& graph() { return *graph_; }
  std::string unique(const std::string& base);

 private:
  onnx::TensorProto* initializer(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& dims);
  onnx::GraphProto* graph_;
  std::vector<std::string> used_;
};

// The symbolic batch dimension in input()/output() dims.
constexpr int64_t kBatchDim = -1;

}  // namespace bitblock::interop
