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
  mask_.resize(x.shape());
  const float keep_scale = 1.0f / (1.0f - p_);
  // Drawn serially so the mask depends only on the generator state, never on threads.
  for (float& m : mask_.values()) m = ctx.rng->uniform() < p_ ? 0.0f : keep_scale;
  Tensor y(x.shape());
  ops::multiply(x.numel(), x.data(), mask_.data(), y.data());
  return y;
}

Tensor Dropout::backward(const Tensor& grad_y) {
  if (!masked_) return grad_y;
  if (grad_y.shape() != mask_.shape())
    fail_input("dropout", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(mask_.shape()));
  Tensor dx(grad_y.shape());
  ops::multiply(grad_y.numel(), grad_y.data(), mask_.data(), dx.data());
  return dx;
}

}  // namespace bitblock
