#include "bitblock/framework/activation.hpp"

#include <algorithm>
#include <cmath>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

namespace {
constexpr int64_t kParallelMin = 1 << 15;

// Whether the straight-through gradient passes at x.
bool passes(ActFn fn, int bits, float max, float x) {
  switch (fn) {
    case ActFn::Identity: return true;
    case ActFn::Relu: return bits == 32 ? x > 0.0f : (x > 0.0f && x < max);
    case ActFn::Hardtanh: return std::fabs(x) < 1.0f;
    case ActFn::Sign: return std::fabs(x) <= 1.0f;
  }
  return false;
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
      const auto levels = static_cast<float>(activation_levels(fn, bits));
      return std::round(std::clamp(x, 0.0f, max) * levels / max) * max / levels;
    }
    case ActFn::Hardtanh: {
      const float c = std::clamp(x, -1.0f, 1.0f);
      if (bits == 32) return c;
      const auto levels = static_cast<float>(activation_levels(fn, bits));
      return std::round(c * levels) / levels;
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
  const float* in = x.data();
  float* out = y.data();
  const int64_t n = x.numel();
  const ActFn fn = fn_;
  const int bits = bits_;
  const float max = max_;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = activation_value(fn, bits, max, in[i]);
  return y;
}

Tensor Activation::backward(const Tensor& grad_y) {
  if (grad_y.shape() != input_.shape())
    fail_input("activation", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(input_.shape()));
  Tensor dx(grad_y.shape());
  const float* in = input_.data();
  const float* dy = grad_y.data();
  float* out = dx.data();
  const int64_t n = grad_y.numel();
  const ActFn fn = fn_;
  const int bits = bits_;
  const float max = max_;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = passes(fn, bits, max, in[i]) ? dy[i] : 0.0f;
  return dx;
}

}  // namespace bitblock
