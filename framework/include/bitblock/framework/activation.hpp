#pragma once
// Element-wise activations, float or quantized, with straight-through gradients: the layer over
// kernels/activation.hpp, whose header states the functions, their rounding and gradients.
//   identity (bits 32), relu (bits 32 or 2..8 with a clip max), hardtanh (bits 32 or 2..8),
//   sign (bits 1).
#include <string>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/kernels/activation.hpp"

namespace bitblock {

using kernels::ActFn;
using kernels::activation_levels;  // positive quantization levels L (0 float, 1 sign)
using kernels::activation_value;   // output of one input: the forward definition

// The config's `fn` spellings of an act layer.
inline constexpr EnumName<ActFn> kActFnNames[] = {
    {ActFn::Relu, "relu"}, {ActFn::Hardtanh, "hardtanh"}, {ActFn::Sign, "sign"}, {ActFn::Identity, "identity"}};
inline const char* to_string(ActFn fn) { return name_of(kActFnNames, fn); }
// InputError for combinations outside the table above (and max <= 0 for quantized relu).
void validate_activation(ActFn fn, int bits, float max, const std::string& where);

class Activation : public Layer {
 public:
  explicit Activation(ActFn fn, int bits = 32, float max = 1.0f);

  std::string kind() const override { return "activation"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override { return input; }
  Tensor forward(const Tensor& x, Context& ctx) override;
  Tensor forward_taking(Tensor&& x, Context& ctx) override;  // keeps x itself, not a copy
  Tensor backward(const Tensor& grad_y) override;

  ActFn fn() const { return fn_; }
  int bits() const { return bits_; }
  float max() const { return max_; }  // clip of the quantized relu (unused otherwise)

 private:
  ActFn fn_;
  int bits_;
  float max_;
  Tensor input_;

  Tensor forward_kept_input();  // the output of input_
};

}  // namespace bitblock
