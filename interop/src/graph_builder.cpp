#include "graph_builder.hpp"

#include <algorithm>

namespace bitblock::interop {

Attr attr_int(const std::string& name, int64_t v) {
  Attr a;
  a.name = name;
  a.kind = Attr::Kind::Int;
  a.i = v;
  return a;
}
Attr attr_ints(const std::string& name, std::vector<int64_t> v) {
  Attr a;
  a.name = name;
  a.kind = Attr::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
Attr attr_float(const std::string& name, float v) {
  Attr a;
  a.name = name;
  a.kind = Attr::Kind::Float;
  a.f = v;
  return a;
}
Attr attr_string(const std::string& name, std::string v) {
  Attr a;
  a.name = name;
  a.kind = Attr::Kind::String;
  a.s = std::move(v);
  return a;
}

std::string GraphBuilder::unique(const std::string& base) {
  std::string name = base;
  for (int k = 1; std::find(used_.begin(), used_.end(), name) != used_.end(); ++k) name = base + "_" + std::to_string(k);
  used_.push_back(name);
  return name;
}

onnx::TensorProto* GraphBuilder::initializer(const std::string& name, onnx::TensorProto::DataType type,
                                             const std::vector<int64_t>& dims) {
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  return t;
}

std::string GraphBuilder::int64s(const std::string& base, const std::vector<int64_t>& dims, const std::vector<int64_t>& v) {
  const std::string name = unique(base);
  onnx::TensorProto* t = initializer(name, onnx::TensorProto::INT64, dims);
  for (int64_t x : v) t->add_int64_data(x);
  return name;
}

// uint8 as raw bytes (one byte per value).
std::string GraphBuilder::uint8s(const std::string& base, const std::vector<int64_t>& dims, const std::vector<uint8_t>& v) {
  const std::string name = unique(base);
  initializer(name, onnx::TensorProto::UINT8, dims)->set_raw_data(std::string(v.begin(), v.end()));
  return name;
}

std::string GraphBuilder::floats(const std::string& base, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  const std::string name = unique(base);
  onnx::TensorProto* t = initializer(name, onnx::TensorProto::FLOAT, dims);
  for (float x : v) t->add_float_data(x);
  return name;
}

void GraphBuilder::node_to(const std::string& op, const std::vector<std::string>& inputs, const std::string& out,
                           const std::vector<Attr>& attrs, const std::string& domain) {
  onnx::NodeProto* n = graph_->add_node();
  n->set_op_type(op);
  n->set_name(out + "_" + op);
  if (!domain.empty()) n->set_domain(domain);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(out);
  for (const Attr& a : attrs) {
    onnx::AttributeProto* p = n->add_attribute();
    p->set_name(a.name);
    switch (a.kind) {
      case Attr::Kind::Int:
        p->set_type(onnx::AttributeProto::INT);
        p->set_i(a.i);
        break;
      case Attr::Kind::Ints:
        p->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : a.ints) p->add_ints(x);
        break;
      case Attr::Kind::Float:
        p->set_type(onnx::AttributeProto::FLOAT);
        p->set_f(a.f);
        break;
      case Attr::Kind::String:
        p->set_type(onnx::AttributeProto::STRING);
        p->set_s(a.s);
        break;
    }
  }
}

std::string GraphBuilder::node(const std::string& op, const std::vector<std::string>& inputs, const std::string& out,
                               const std::vector<Attr>& attrs, const std::string& domain) {
  const std::string name = unique(out);
  node_to(op, inputs, name, attrs, domain);
  return name;
}

namespace {
void value_info(onnx::ValueInfoProto* v, const std::string& name, onnx::TensorProto::DataType type,
                const std::vector<int64_t>& dims) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  onnx::TensorShapeProto* shape = t->mutable_shape();
  for (int64_t d : dims) {
    if (d == kBatchDim) {
      shape->add_dim()->set_dim_param("N");
    } else {
      shape->add_dim()->set_dim_value(d);
    }
  }
}
}  // namespace

void GraphBuilder::input(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& dims) {
  used_.push_back(name);
  value_info(graph_->add_input(), name, type, dims);
}

void GraphBuilder::output(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& dims) {
  value_info(graph_->add_output(), name, type, dims);
}

}  // namespace bitblock::interop
