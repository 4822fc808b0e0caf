#include "bitblock/framework/activation.hpp"

#include <algorithm>
#include <cmath>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

namespace {
// std::round (half away from zero) for |t| < 2^22, inline and branch-free so the loops vectorize
// (std::round is a library call; GCC does not if-convert selects between computed values or
// after ordered compares under -ftrapping-math). Adding and subtracting 2^23 rounds to nearest
// even, then an exact tie that went toward zero moves away from it. NaN stays NaN; -0 may come
// out as +0 (an equal value). The clamps below are min(max()) for the same reason and keep NaN
// like std::clamp.
inline float round_half_away(float t) {
  const float shift = std::copysign(8388608.0f, t);  // 2^23 with t's sign
  const float r = (t + shift) - shift;
  const float rest = t - r;  // exact
  return r + (rest == std::copysign(0.5f, t) ? std::copysign(1.0f, t) : std::copysign(0.0f, t));
}

// The quantized forms, shared by activation_value and the layer's loops so both round the same way.
inline float relu_levels(float x, float levels, float max) {
  return round_half_away(std::min(std::max(x, 0.0f), max) * levels / max) * max / levels;
}
inline float hardtanh_levels(float x, float levels) {
  return round_half_away(std::min(std::max(x, -1.0f), 1.0f) * levels) / levels;
}

// Runs body(i0, i1) over [0, n): one plain call for small n, OpenMP chunks for large n. Inside an
// OpenMP region the captured constants are shared memory the stores might alias, which keeps
// the compiler from vectorizing; the plain call leaves them in registers.
template <typename Body>
void over_range(int64_t n, Body body) {
  if (n < ops::kParallelMinElements) {
    body(int64_t{0}, n);
    return;
  }
  constexpr int64_t kChunk = int64_t{1} << 16;
#pragma omp parallel for schedule(static)
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) body(i0, std::min(n, i0 + kChunk));
}

// out[i] = f(in[i]); one loop per activation so the per-element work inlines.
template <typename F>
void map(int64_t n, const float* in, float* out, F f) {
  over_range(n, [in, out, f](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = f(in[i]);
  });
}

// out[i] = pass(x[i]) ? dy[i] : 0; dy is loaded unconditionally so the select vectorizes.
template <typename F>
void gate(int64_t n, const float* x, const float* dy, float* out, F pass) {
  over_range(n, [x, dy, out, pass](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = dy[i];
      out[i] = pass(x[i]) ? g : 0.0f;
    }
  });
}

}  // namespace

const char* to_string(ActFn fn) {
  switch (fn) {
    case ActFn::Relu: return "relu";
    case ActFn::Hardtanh: return "hardtanh";
    case ActFn::Sign: return "sign";
    case ActFn::Identity: return "identity";
  }
  return "?";
}

ActFn parse_act_fn(const std::string& s, const std::string& where) {
  if (s == "relu") return ActFn::Relu;
  if (s == "hardtanh") return ActFn::Hardtanh;
  if (s == "sign") return ActFn::Sign;
  if (s == "identity") return ActFn::Identity;
  fail_input(where, "unknown activation '" + s + "' (expected relu, hardtanh, sign or identity)");
}

void validate_activation(ActFn fn, int bits, float max, const std::string& where) {
  const std::string name = to_string(fn);
  if (bits != 1 && bits != 32 && (bits < 2 || bits > 8))
    fail_input(where, "activation bits must be 1, 2..8 or 32, got " + std::to_string(bits));
  if (fn == ActFn::Sign && bits != 1) fail_input(where, "sign is a 1-bit activation: set bits 1 (got " + std::to_string(bits) + ")");
  if (bits == 1 && fn != ActFn::Sign) fail_input(where, "1-bit activations use fn sign, not " + name);
  if (fn == ActFn::Identity && bits != 32) fail_input(where, "identity cannot be quantized (bits must be 32)");
  if (fn == ActFn::Relu && bits != 32 && !(max > 0.0f))
    fail_input(where, "quantized relu needs max > 0, got " + std::to_string(max));
}

int activation_levels(ActFn fn, int bits) {
  if (bits == 32) return 0;
  if (fn == ActFn::Sign) return 1;
  if (fn == ActFn::Relu) return (1 << bits) - 1;
  return (1 << (bits - 1)) - 1;
}

float activation_value(ActFn fn, int bits, float max, float x) {
  switch (fn) {
    case ActFn::Identity: return x;
    case ActFn::Sign: return x >= 0.0f ? 1.0f : -1.0f;
    case ActFn::Relu: {
      if (bits == 32) return x > 0.0f ? x : 0.0f;
      return relu_levels(x, static_cast<float>(activation_levels(fn, bits)), max);
    }
    case ActFn::Hardtanh: {
      if (bits == 32) return std::clamp(x, -1.0f, 1.0f);
      return hardtanh_levels(x, static_cast<float>(activation_levels(fn, bits)));
    }
  }
  return x;
}

Activation::Activation(ActFn fn, int bits, float max) : fn_(fn), bits_(bits), max_(max) {
  validate_activation(fn_, bits_, max_, "activation");
}

std::string Activation::describe() const {
  std::string s = std::string("activation ") + to_string(fn_);
  if (bits_ != 32) s += " bits " + std::to_string(bits_);
  if (fn_ == ActFn::Relu && bits_ != 32) s += " max " + std::to_string(max_);
  return s;
}

Tensor Activation::forward(const Tensor& x, Context& /*ctx*/) {
  input_.resize(x.shape());
  ops::copy(x.numel(), x.data(), input_.data());
  Tensor y(x.shape());
  const int64_t n = x.numel();
  const float* in = x.data();
  float* out = y.data();
  const auto levels = static_cast<float>(activation_levels(fn_, bits_));
  const float max = max_;
  switch (fn_) {
    case ActFn::Identity: ops::copy(n, in, out); break;
    case ActFn::Sign: map(n, in, out, [](float v) { return v >= 0.0f ? 1.0f : -1.0f; }); break;
    case ActFn::Relu:
      if (bits_ == 32) map(n, in, out, [](float v) { return v > 0.0f ? v : 0.0f; });
      else map(n, in, out, [levels, max](float v) { return relu_levels(v, levels, max); });
      break;
    case ActFn::Hardtanh:
      if (bits_ == 32) map(n, in, out, [](float v) { return std::clamp(v, -1.0f, 1.0f); });
      else map(n, in, out, [levels](float v) { return hardtanh_levels(v, levels); });
      break;
  }
  return y;
}

Tensor Activation::backward(const Tensor& grad_y) {
  if (grad_y.shape() != input_.shape())
    fail_input("activation", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(input_.shape()));
  Tensor dx(grad_y.shape());
  const int64_t n = grad_y.numel();
  const float* x = input_.data();
  const float* dy = grad_y.data();
  float* out = dx.data();
  const float max = max_;
  switch (fn_) {
    case ActFn::Identity: ops::copy(n, dy, out); break;
    case ActFn::Sign: gate(n, x, dy, out, [](float v) { return std::fabs(v) <= 1.0f; }); break;
    case ActFn::Relu:
      if (bits_ == 32) gate(n, x, dy, out, [](float v) { return v > 0.0f; });
      else gate(n, x, dy, out, [max](float v) { return (v > 0.0f) & (v < max); });
      break;
    case ActFn::Hardtanh: gate(n, x, dy, out, [](float v) { return std::fabs(v) < 1.0f; }); break;
  }
  return dx;
}

}  // namespace bitblock
