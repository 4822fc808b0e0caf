// The standard-ONNX dialect: every value an integer tensor, so ONNX Runtime computes the model
// file's integers exactly (int32 accumulation, int64 requantization, integer division).
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "bitblock/common/error.hpp"
#include "dialects.hpp"
#include "stage_emit.hpp"

namespace bitblock::interop {

namespace {

using onnx::TensorProto;

// A stage's input as MatMulInteger / ConvInteger take it: uint8 u with codes x = a * u + off.
struct Uint8Input {
  std::string u;
  int64_t a = 1, off = 0;
  int64_t max_u = 255;
};

// floor(z / 2^shift) for int64 z (integer Div truncates toward zero): z >= 0 ? z / d : -1 - (-1 - z) / d.
std::string floor_shift(GraphBuilder& g, const std::string& z, int shift, const std::string& base) {
  if (shift == 0) return z;
  const std::string d = g.int64_scalar(base + ".step", int64_t{1} << shift);
  const std::string zero = g.int64_scalar(base + ".zero", 0);
  const std::string minus1 = g.int64_scalar(base + ".minus_one", -1);
  const std::string pos = g.node("Div", {z, d}, base + ".q_pos");
  const std::string neg = g.node("Sub", {minus1, g.node("Div", {g.node("Sub", {minus1, z}, base + ".m1_z"), d}, base + ".q_m1")},
                                 base + ".q_neg");
  return g.node("Where", {g.node("GreaterOrEqual", {z, zero}, base + ".nonneg"), pos, neg}, base + ".q");
}

// Activation codes (int64) of z, network.hpp's definition.
std::string activation(GraphBuilder& g, const std::string& z, const model::Stage& s, const std::string& base) {
  if (s.act == model::ActKind::Sign) {
    const std::string zero = g.int64_scalar(base + ".zero", 0);
    return g.node("Where", {g.node("GreaterOrEqual", {z, zero}, base + ".nonneg"), g.int64_scalar(base + ".plus_one", 1),
                            g.int64_scalar(base + ".minus_one", -1)},
                  base + ".codes");
  }
  const model::CodeRange r = model::activation_code_range(s.act, s.act_bits);
  return g.node("Clip", {floor_shift(g, z, s.shift, base), g.int64_scalar(base + ".lo", r.lo), g.int64_scalar(base + ".hi", r.hi)},
                base + ".codes");
}

// Largest W * u a stage can accumulate in int32 (sum of |code| over a row times max u).
int64_t uint8_accumulator_bound(const model::Stage& s, int64_t max_u) {
  return model::accumulator_bound(s, model::CodeRange{0, static_cast<int>(max_u)});
}

}  // namespace

void emit_onnx_graph(GraphBuilder& g, const model::Network& net, const std::string& where) {
  g.input("pixels", TensorProto::FLOAT, {kBatchDim, net.input.c, net.input.h, net.input.w});
  Uint8Input in;
  in.u = g.node("Cast", {"pixels"}, "pixels_u8", {attr_int("to", TensorProto::UINT8)});
  if (net.input_mode == model::InputMode::Centered) {
    in.a = 2;  // 2 * pixel - 255
    in.off = -255;
  }
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const model::Stage& s = net.stages[k];
    const std::string base = s.name;
    const bool dense = s.op == model::OpKind::Dense;
    if (uint8_accumulator_bound(s, in.max_u) > std::numeric_limits<int32_t>::max())
      fail_input(where, stage_label(net, k) + ": its accumulator on uint8-offset inputs can exceed int32, which "
                                              "MatMulInteger / ConvInteger accumulate in");
    std::string u = in.u;
    if (dense) u = g.node("Flatten", {u}, base + ".input_flat", {attr_int("axis", 1)});
    // uint8 weights code + 128 with zero point 128: ONNX Runtime's uint8 x uint8 kernels widen to
    // 16 bits before multiplying, while uint8 x int8 on x86 without VNNI adds product pairs in
    // saturating int16 (vpmaddubsw), which would break exactness.
    const std::vector<int8_t> weight_codes = weight_tensor(s);
    std::vector<uint8_t> weight_u8(weight_codes.size());
    for (size_t i = 0; i < weight_codes.size(); ++i) weight_u8[i] = static_cast<uint8_t>(weight_codes[i] + 128);
    const std::string w = g.uint8s(base + ".weight", weight_dims(s), weight_u8);
    const std::string w_zero = g.uint8s(base + ".weight_zero_point", {}, {128});
    const std::string x_zero = g.uint8s(base + ".input_zero_point", {}, {0});
    annotate_weight(g, w, s);
    std::vector<Attr> conv_attrs;
    if (!dense)
      conv_attrs = {attr_ints("kernel_shape", {s.kernel, s.kernel}), attr_ints("strides", {s.stride, s.stride}),
                    attr_ints("pads", {s.padding, s.padding, s.padding, s.padding})};
    auto product = [&](const std::string& x, const std::string& name) {
      const std::string acc32 = dense ? g.node("MatMulInteger", {x, w, x_zero, w_zero}, name + "32")
                                      : g.node("ConvInteger", {x, w, x_zero, w_zero}, name + "32", conv_attrs);
      return g.node("Cast", {acc32}, name, {attr_int("to", TensorProto::INT64)});
    };
    std::string acc = product(u, base + ".acc_u");
    if (in.a != 1) acc = g.node("Mul", {acc, g.int64_scalar(base + ".input_a", in.a)}, base + ".acc_a");
    if (in.off != 0) {
      // off * (sum of the weights over the in-image part of each window): a product of all-ones
      // input, so zero padding stays zero codes (not zero u).
      const std::vector<int64_t> ones_dims =
          dense ? std::vector<int64_t>{1, s.weights.layout.cols} : std::vector<int64_t>{1, s.input.c, s.input.h, s.input.w};
      const std::string ones = g.uint8s(base + ".ones", ones_dims, std::vector<uint8_t>(static_cast<size_t>(s.input.size()), 1));
      const std::string window_sum = product(ones, base + ".window_sum");
      acc = g.node("Add", {acc, g.node("Mul", {window_sum, g.int64_scalar(base + ".input_off", in.off)}, base + ".offset")},
                   base + ".acc");
    }
    const std::string z = requantize(g, acc, s, base);
    if (k + 1 == net.stages.size()) {
      logits_outputs(g, z, net);
      break;
    }
    // Pooling either placement after the activation: the activation is non-decreasing in z and
    // pooling on accumulators picks the largest z (network.hpp), so both give the same codes.
    std::string codes = activation(g, z, s, base);
    if (s.pool.active()) codes = slice_max_pool(g, codes, s, base);
    const model::CodeRange r = model::activation_code_range(s.act, s.act_bits);
    const std::string shifted = r.lo == 0 ? codes : g.node("Sub", {codes, g.int64_scalar(base + ".code_lo", r.lo)}, base + ".codes_u");
    in.u = g.node("Cast", {shifted}, base + ".codes_u8", {attr_int("to", TensorProto::UINT8)});
    in.a = 1;
    in.off = r.lo;
    in.max_u = r.hi - r.lo;
  }
}

}  // namespace bitblock::interop
