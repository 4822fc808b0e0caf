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
  const float keep_scale = 1.0f / (1.0f - p_), p = p_;
  // The generator's next numel() draws, in order (so the mask never depends on threads); element
  // i is dropped when its draw as Rng::uniform() is below p.
  const int64_t n = x.numel();
  draws_.resize(static_cast<size_t>(n));
  ctx.rng->fill_u32(draws_.data(), n);
  float* m = mask_.data();
  const uint32_t* u = draws_.data();
  for (int64_t i = 0; i < n; ++i)
    m[i] = static_cast<float>(static_cast<int32_t>(u[i] >> 8)) * (1.0f / 16777216.0f) < p ? 0.0f : keep_scale;
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
