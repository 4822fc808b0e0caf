// The QONNX dialect (FINN / hls4ml): float32 tensors holding integer codes, so the float
// semantics of every op are exact while accumulators stay below 2^24.
#include <algorithm>

#include "bitblock/common/error.hpp"
#include "bitblock/interop/onnx_export.hpp"
#include "dialects.hpp"
#include "stage_emit.hpp"

namespace bitblock::interop {

namespace {

using onnx::TensorProto;

constexpr int64_t kFloatExact = int64_t{1} << 24;  // float32 holds every integer up to here

// FINN's datatype name of a code range: BIPOLAR, UINT<b>, INT<b>.
std::string finn_datatype(model::ActKind act, int bits) {
  if (act == model::ActKind::Sign) return "BIPOLAR";
  return (act == model::ActKind::Unsigned ? "UINT" : "INT") + std::to_string(bits);
}

// Quant (k-bit, scale 1: the codes themselves) or BipolarQuant of a code tensor.
std::string quant(GraphBuilder& g, const std::string& x, bool bipolar, int bits, bool is_signed, bool narrow,
                  const std::string& out) {
  const std::string one = g.float_scalar(out + ".scale", 1.0f);
  if (bipolar) return g.node("BipolarQuant", {x, one}, out, {}, kQonnxDomain);
  return g.node("Quant", {x, one, g.float_scalar(out + ".zeropt", 0.0f), g.float_scalar(out + ".bitwidth", static_cast<float>(bits))},
                out, {attr_int("signed", is_signed), attr_int("narrow", narrow), attr_string("rounding_mode", "ROUND")},
                kQonnxDomain);
}

// MultiThreshold thresholds of a stage: per channel c, with sign_c = -1 where m_c < 0 (so the
// code is non-decreasing in sign_c * acc), threshold t is the smallest integer a in [-bound,
// bound] whose code reaches the t-th level above the lowest (bound + 1 when none does).
std::vector<float> thresholds(const model::Stage& s, int64_t bound, const std::vector<float>& sign, int levels, int step) {
  const model::CodeRange r = model::activation_code_range(s.act, s.act_bits);
  std::vector<float> t;
  for (int c = 0; c < s.out_channels(); ++c) {
    const int64_t m = s.mult[static_cast<size_t>(c)], b = s.bias[static_cast<size_t>(c)];
    const int64_t sg = static_cast<int64_t>(sign[static_cast<size_t>(c)]);
    auto code = [&](int64_t a) { return model::activate(sg * a * m + b, s.act, s.act_bits, s.shift); };
    for (int level = 1; level <= levels; ++level) {
      const int target = r.lo + level * step;
      int64_t lo = -bound, hi = bound + 1;  // answer in [lo, hi]; hi means "never"
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (code(mid) >= target) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      t.push_back(static_cast<float>(lo));
    }
  }
  return t;
}

}  // namespace

void emit_qonnx_graph(GraphBuilder& g, const model::Network& net, const std::string& where) {
  g.input("pixels", TensorProto::FLOAT, {kBatchDim, net.input.c, net.input.h, net.input.w});
  std::string x;
  if (net.input_mode == model::InputMode::Pixel) {
    x = quant(g, "pixels", false, 8, false, false, "input_codes");
    annotate(g, x, "finn_datatype", "UINT8");
  } else {
    const std::string two_p = g.node("Mul", {"pixels", g.float_scalar("input.two", 2.0f)}, "input_2p");
    x = quant(g, g.node("Add", {two_p, g.float_scalar("input.minus_255", -255.0f)}, "input_centered"), false, 9, true, true,
              "input_codes");
    annotate(g, x, "finn_datatype", "INT9");
  }
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const model::Stage& s = net.stages[k];
    const std::string base = s.name;
    const bool dense = s.op == model::OpKind::Dense;
    const int64_t bound = model::accumulator_bound(s, model::stage_input_range(net, k));
    if (bound >= kFloatExact)
      fail_input(where, stage_label(net, k) + ": its accumulator can reach " + std::to_string(bound) +
                            ", beyond 2^24, where QONNX's float32 tensors stop being exact (export --format onnx is exact)");
    if (dense) x = g.node("Flatten", {x}, base + ".input_flat", {attr_int("axis", 1)});
    const std::vector<int8_t> codes = weight_tensor(s);
    const std::string w = g.floats(base + ".weight", weight_dims(s), std::vector<float>(codes.begin(), codes.end()));
    const bool binary = s.weights.bits == 1;
    std::string wq = quant(g, w, binary, s.weights.bits, true, true, base + ".weight_q");
    // BipolarQuant maps a dropped weight's 0 to +1: a 0/1 mask puts the zeros back.
    if (binary && std::find(codes.begin(), codes.end(), int8_t{0}) != codes.end()) {
      std::vector<float> mask(codes.size());
      for (size_t i = 0; i < codes.size(); ++i) mask[i] = codes[i] != 0 ? 1.0f : 0.0f;
      wq = g.node("Mul", {wq, g.floats(base + ".weight_mask", weight_dims(s), mask)}, base + ".weight_sparse");
    }
    annotate_weight(g, w, s, {{"finn_datatype", binary ? "BIPOLAR" : "INT" + std::to_string(s.weights.bits)}});
    const std::string acc =
        dense ? g.node("MatMul", {x, wq}, base + ".acc")
              : g.node("Conv", {x, wq}, base + ".acc",
                       {attr_ints("kernel_shape", {s.kernel, s.kernel}), attr_ints("strides", {s.stride, s.stride}),
                        attr_ints("pads", {s.padding, s.padding, s.padding, s.padding})});
    if (k + 1 == net.stages.size()) {
      // The final requantization needs the int64 range (z keeps `shift` fraction bits), as in Onnx.
      const std::string acc64 = g.node("Cast", {acc}, base + ".acc_int64", {attr_int("to", TensorProto::INT64)});
      logits_outputs(g, requantize(g, acc64, s, base), net);
      break;
    }
    std::vector<float> sign(static_cast<size_t>(s.out_channels()), 1.0f);
    for (size_t c = 0; c < sign.size(); ++c)
      if (s.mult[c] < 0) sign[c] = -1.0f;
    std::string t_in = acc;
    if (std::any_of(sign.begin(), sign.end(), [](float v) { return v < 0; }))
      t_in = g.node("Mul", {acc, g.floats(base + ".acc_sign", channel_dims(s), sign)}, base + ".acc_signed");
    const bool bipolar = s.act == model::ActKind::Sign;
    const model::CodeRange r = model::activation_code_range(s.act, s.act_bits);
    const int step = bipolar ? 2 : 1;
    const int levels = (r.hi - r.lo) / step;
    const std::string thr = g.floats(base + ".thresholds", {s.out_channels(), levels}, thresholds(s, bound, sign, levels, step));
    const std::string dtype = finn_datatype(s.act, s.act_bits);
    std::string y = g.node("MultiThreshold", {t_in, thr}, base + ".act",
                           {attr_float("out_scale", static_cast<float>(step)), attr_float("out_bias", static_cast<float>(r.lo)),
                            attr_string("out_dtype", dtype)},
                           kQonnxDomain);
    const bool is_signed = s.act == model::ActKind::Signed;  // signed codes are symmetric: narrow range
    y = quant(g, y, bipolar, s.act_bits, is_signed, is_signed, base + ".codes");
    annotate(g, y, "finn_datatype", dtype);
    if (s.pool.active())
      y = g.node("MaxPool", {y}, base + ".pooled",
                 {attr_ints("kernel_shape", {s.pool.size, s.pool.size}), attr_ints("strides", {s.pool.stride, s.pool.stride})});
    x = y;
  }
}

}  // namespace bitblock::interop
