#include "bitblock/interop/onnx_export.hpp"

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "dialects.hpp"
#include "graph_builder.hpp"

namespace bitblock::interop {

const char* to_string(Format f) { return f == Format::Onnx ? "onnx" : "qonnx"; }

namespace {

void metadata(onnx::ModelProto& m, const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto* e = m.add_metadata_props();
  e->set_key(key);
  e->set_value(value);
}

}  // namespace

std::string export_onnx(const model::Network& net, Format format, const std::string& where) {
  model::validate_network(net, where);
  onnx::ModelProto m;
  m.set_ir_version(kOnnxIrVersion);
  m.set_producer_name("bitblock");
  m.set_doc_string("bitblock integer network (" + net.dataset + "), exported as " + to_string(format));
  onnx::OperatorSetIdProto* std_ops = m.add_opset_import();
  std_ops->set_domain("");
  std_ops->set_version(kOnnxOpset);
  if (format == Format::Qonnx) {
    onnx::OperatorSetIdProto* q = m.add_opset_import();
    q->set_domain(kQonnxDomain);
    q->set_version(1);
  }
  onnx::GraphProto* graph = m.mutable_graph();
  graph->set_name(net.dataset.empty() ? "bitblock" : "bitblock_" + net.dataset);
  GraphBuilder g(graph);
  if (format == Format::Onnx) {
    emit_onnx_graph(g, net, where);
  } else {
    emit_qonnx_graph(g, net, where);
  }
  const model::Stage& last = net.stages.back();
  metadata(m, "bitblock.format", to_string(format));
  metadata(m, "bitblock.dataset", net.dataset);
  metadata(m, "bitblock.input_mode", model::to_string(net.input_mode));
  metadata(m, "bitblock.input_scale", std::to_string(net.input_scale));
  metadata(m, "bitblock.logits_shift", std::to_string(last.shift));
  metadata(m, "bitblock.logits",
           "logits_int64: the integer logits of `bitblock eval --model`; logits: the same cast to float32; "
           "real-valued logits = logits_int64 / 2^bitblock.logits_shift");
  metadata(m, "bitblock.training", net.training.dump());
  std::string bytes;
  if (!m.SerializeToString(&bytes)) fail_input(where, "the ONNX model cannot be serialized (over protobuf's 2 GiB limit?)");
  return bytes;
}

void save_onnx(const model::Network& net, Format format, const std::string& path) {
  write_file_atomic(path, export_onnx(net, format, path));
}

}  // namespace bitblock::interop
