#include "bitblock/framework/dropout.hpp"

#include <stdexcept>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

Dropout::Dropout(float p) : p_(p) {
  if (!(p_ >= 0.0f && p_ < 1.0f)) fail_input("dropout", "p must be in [0, 1), got " + std::to_string(p_));
}

std::string Dropout::describe() const { return "dropout p " + std::to_string(p_); }

Tensor Dropout::forward(const Tensor& x, Context& ctx) {
  masked_ = ctx.training && p_ > 0.0f;
  if (!masked_) return x;
  if (!ctx.rng) throw std::logic_error("dropout: training forward needs Context.rng");
  // The stream's next numel() draws, in order (so the mask never depends on threads): element i
  // is dropped when its draw as a uniform float is below p.
  mask_.reset(x.shape(), x.context());
  ops::dropout_mask(*ctx.rng, p_, mask_);
  Tensor y = Tensor::for_output(x.shape(), x.context());
  ops::multiply(x, mask_, y);
  return y;
}

Tensor Dropout::backward(const Tensor& grad_y) {
  if (!masked_) return grad_y;
  if (grad_y.shape() != mask_.shape())
    fail_input("dropout", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(mask_.shape()));
  Tensor dx = Tensor::for_output(grad_y.shape(), grad_y.context());
  ops::multiply(grad_y, mask_, dx);
  return dx;
}

}  // namespace bitblock
