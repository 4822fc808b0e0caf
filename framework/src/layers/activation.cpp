#include "bitblock/framework/activation.hpp"

#include <utility>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

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
  input_.reset(x.shape(), x.context());
  input_.copy_from(x);
  return forward_kept_input();
}

Tensor Activation::forward_taking(Tensor&& x, Context& /*ctx*/) {
  input_ = std::move(x);
  return forward_kept_input();
}

Tensor Activation::forward_kept_input() {
  Tensor y = Tensor::for_output(input_.shape(), input_.context());
  ops::activation_forward(fn_, bits_, max_, input_, y);
  return y;
}

Tensor Activation::backward(const Tensor& grad_y) {
  if (grad_y.shape() != input_.shape())
    fail_input("activation", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(input_.shape()));
  Tensor dx = Tensor::for_output(grad_y.shape(), grad_y.context());
  ops::activation_backward(fn_, bits_, max_, input_, grad_y, dx);
  return dx;
}

}  // namespace bitblock
