#include "stage_emit.hpp"

#include "bitblock/interop/onnx_export.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock::interop {

std::vector<int64_t> weight_dims(const model::Stage& s) {
  const int64_t rows = s.weights.layout.rows, cols = s.weights.layout.cols;
  if (s.op == model::OpKind::Dense) return {cols, rows};
  return {rows, s.input.c, s.kernel, s.kernel};
}

std::vector<int8_t> weight_tensor(const model::Stage& s) {
  const int64_t rows = s.weights.layout.rows, cols = s.weights.layout.cols;
  std::vector<int8_t> dense(static_cast<size_t>(rows * cols));
  kernels::bsr_unpack_codes(s.weights, dense.data());
  if (s.op == model::OpKind::Conv) return dense;
  std::vector<int8_t> t(dense.size());
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k) t[static_cast<size_t>(k * rows + n)] = dense[static_cast<size_t>(n * cols + k)];
  return t;
}

std::vector<int64_t> channel_dims(const model::Stage& s) {
  if (s.op == model::OpKind::Dense) return {1, s.out_channels()};
  return {1, s.out_channels(), 1, 1};
}

std::string requantize(GraphBuilder& g, const std::string& acc, const model::Stage& s, const std::string& base) {
  const std::string m = g.int64s(base + ".mult", channel_dims(s), std::vector<int64_t>(s.mult.begin(), s.mult.end()));
  const std::string b = g.int64s(base + ".bias", channel_dims(s), s.bias);
  return g.node("Add", {g.node("Mul", {acc, m}, base + ".acc_m"), b}, base + ".z");
}

std::string slice_max_pool(GraphBuilder& g, const std::string& x, const model::Stage& s, const std::string& base) {
  const model::Shape out = s.output_shape();
  const int st = s.pool.stride;
  const std::string axes = g.int64s(base + ".pool_axes", {2}, {2, 3});
  const std::string steps = g.int64s(base + ".pool_steps", {2}, {st, st});
  std::vector<std::string> windows;
  for (int dy = 0; dy < s.pool.size; ++dy) {
    for (int dx = 0; dx < s.pool.size; ++dx) {
      // Window offset (dy, dx) of every output position: rows dy, dy + st, ..., dy + (oh-1)*st.
      const std::string starts = g.int64s(base + ".pool_starts", {2}, {dy, dx});
      const std::string ends =
          g.int64s(base + ".pool_ends", {2}, {dy + int64_t{out.h - 1} * st + 1, dx + int64_t{out.w - 1} * st + 1});
      windows.push_back(g.node("Slice", {x, starts, ends, axes, steps}, base + ".pool_window"));
    }
  }
  if (windows.size() == 1) return windows[0];
  return g.node("Max", windows, base + ".pooled");
}

void logits_outputs(GraphBuilder& g, const std::string& z, const model::Network& net) {
  const model::Stage& s = net.stages.back();
  const std::string base = s.name.empty() ? "final" : s.name;
  std::string x = z;
  if (s.pool.active()) x = slice_max_pool(g, x, s, base);
  g.node_to("Flatten", {x}, "logits_int64", {attr_int("axis", 1)});
  g.node_to("Cast", {"logits_int64"}, "logits", {attr_int("to", onnx::TensorProto::FLOAT)});
  g.output("logits", onnx::TensorProto::FLOAT, {kBatchDim, net.num_classes});
  g.output("logits_int64", onnx::TensorProto::INT64, {kBatchDim, net.num_classes});
}

void annotate(GraphBuilder& g, const std::string& tensor, const std::string& key, const std::string& value) {
  onnx::TensorAnnotation* a = g.graph().add_quantization_annotation();
  a->set_tensor_name(tensor);
  onnx::StringStringEntryProto* e = a->add_quant_parameter_tensor_names();
  e->set_key(key);
  e->set_value(value);
}

void annotate_weight(GraphBuilder& g, const std::string& tensor, const model::Stage& s,
                     const std::vector<std::pair<std::string, std::string>>& extra) {
  const std::vector<float>& scales = s.weights.row_scales;
  const std::string scale = g.floats(s.name + ".row_scale", channel_dims(s), scales);
  onnx::TensorAnnotation* a = g.graph().add_quantization_annotation();
  a->set_tensor_name(tensor);
  auto add = [&](const std::string& k, const std::string& v) {
    onnx::StringStringEntryProto* e = a->add_quant_parameter_tensor_names();
    e->set_key(k);
    e->set_value(v);
  };
  for (const auto& [k, v] : extra) add(k, v);
  add("tensor_sparsity", sparsity_annotation(s).dump());
  add("bitblock_row_scale", scale);
}

std::string stage_label(const model::Network& net, size_t k) {
  return "stage " + std::to_string(k) + " (" + net.stages[k].name + ")";
}

nlohmann::json sparsity_annotation(const model::Stage& s) {
  const kernels::BsrLayout& l = s.weights.layout;
  nlohmann::json j = {{"structure", model::to_string(s.constraint.structure)},
                      {"block", {l.block_rows, l.block_cols}},
                      {"rows", l.rows},
                      {"cols", l.cols},
                      {"kept_blocks", l.kept_blocks()},
                      {"ratio", s.constraint.ratio},
                      {"selection", s.constraint.magnitude ? "magnitude" : "random"}};
  // A dense stage keeps every block: the index would only repeat the grid.
  if (s.constraint.structure != model::Sparsity::None) {
    j["block_row_ptr"] = l.block_row_ptr;
    j["block_col_idx"] = l.block_col_idx;
  }
  return j;
}

}  // namespace bitblock::interop
