#pragma once
// Element-wise activations, float or quantized, with straight-through gradients.
//   identity                bits 32 only.
//   relu, bits 32           y = max(0, x); grad where x > 0.
//   relu, bits a in 2..8    L = 2^a - 1 levels above 0: y = round(clamp(x, 0, max) * L / max) * max / L;
//                           grad passes (STE through the rounding) where 0 < x < max.
//   hardtanh, bits 32       y = clamp(x, -1, 1); grad where |x| < 1.
//   hardtanh, bits a 2..8   L = 2^(a-1) - 1: y = round(clamp(x, -1, 1) * L) / L; grad where |x| < 1.
//   sign, bits 1 only       y = x >= 0 ? 1 : -1; grad = dy * (|x| <= 1).
// Rounding is half away from zero (std::round); integer inference reproduces exactly that.
#include <string>

#include "bitblock/framework/layer.hpp"

namespace bitblock {

enum class ActFn { Relu, Hardtanh, Sign, Identity };

const char* to_string(ActFn fn);
// "relu" | "hardtanh" | "sign" | "identity"; InputError "<where>: ..." otherwise.
ActFn parse_act_fn(const std::string& s, const std::string& where);
// InputError for combinations outside the table above (and max <= 0 for quantized relu).
void validate_activation(ActFn fn, int bits, float max, const std::string& where);

// Output value of one input (the forward definition, shared with integer-inference checks).
float activation_value(ActFn fn, int bits, float max, float x);
// Number of positive quantization levels L (0 for float activations, 1 for sign).
int activation_levels(ActFn fn, int bits);

class Activation : public Layer {
 public:
  explicit Activation(ActFn fn, int bits = 32, float max = 1.0f);

  std::string kind() const override { return "activation"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override { return input; }
  Tensor forward(const Tensor& x, Context& ctx) override;
  Tensor backward(const Tensor& grad_y) override;

  ActFn fn() const { return fn_; }
  int bits() const { return bits_; }
  float max() const { return max_; }  // clip of the quantized relu (unused otherwise)

 private:
  ActFn fn_;
  int bits_;
  float max_;
  Tensor input_;
};

}  // namespace bitblock
