#include "bitblock/framework/pool.hpp"

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

MaxPool2d::MaxPool2d(int kernel, int stride) : kernel_(kernel), stride_(stride == 0 ? kernel : stride) {
  if (kernel_ < 1 || stride_ < 1)
    fail_input("maxpool", "needs kernel >= 1 and stride >= 1, got kernel " + std::to_string(kernel) + ", stride " +
                              std::to_string(stride));
}

std::string MaxPool2d::describe() const {
  return "maxpool k" + std::to_string(kernel_) + " s" + std::to_string(stride_);
}

Shape MaxPool2d::output_shape(const Shape& input) const {
  if (input.size() != 3 || input[1] < kernel_ || input[2] < kernel_)
    fail_input("maxpool", "expects [C, H, W] with H, W >= kernel " + std::to_string(kernel_) + ", got " + shape_str(input));
  return {input[0], (input[1] - kernel_) / stride_ + 1, (input[2] - kernel_) / stride_ + 1};
}

Tensor MaxPool2d::forward(const Tensor& x, Context& /*ctx*/) {
  if (x.rank() != 4) fail_input("maxpool", "expects [N, C, H, W], got " + shape_str(x.shape()));
  const Shape out = output_shape({x.dim(1), x.dim(2), x.dim(3)});
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), oh = out[1], ow = out[2];
  input_shape_ = x.shape();
  argmax_.resize(static_cast<size_t>(planes * oh * ow));
  Tensor y({x.dim(0), x.dim(1), oh, ow});
  const float* in = x.data();
  float* o = y.data();
  int32_t* arg = argmax_.data();
  const int64_t k = kernel_, s = stride_;
#pragma omp parallel for schedule(static) if (x.numel() >= ops::kParallelMinElements)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* plane = in + pl * h * w;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t best = (oy * s) * w + ox * s;
        for (int64_t ky = 0; ky < k; ++ky)
          for (int64_t kx = 0; kx < k; ++kx) {
            const int64_t at = (oy * s + ky) * w + ox * s + kx;
            if (plane[at] > plane[best]) best = at;
          }
        const int64_t oi = (pl * oh + oy) * ow + ox;
        o[oi] = plane[best];
        arg[oi] = static_cast<int32_t>(best);
      }
  }
  return y;
}

Tensor MaxPool2d::backward(const Tensor& grad_y) {
  if (input_shape_.empty()) fail_input("maxpool", "backward called before forward");
  const Shape out = output_shape({input_shape_[1], input_shape_[2], input_shape_[3]});
  if (grad_y.shape() != Shape{input_shape_[0], out[0], out[1], out[2]})
    fail_input("maxpool", "backward got " + shape_str(grad_y.shape()));
  const int64_t planes = input_shape_[0] * input_shape_[1], plane_in = input_shape_[2] * input_shape_[3];
  const int64_t plane_out = out[1] * out[2];
  Tensor dx(input_shape_);
  const float* dy = grad_y.data();
  const int32_t* arg = argmax_.data();
  float* d = dx.data();
  // One thread per plane: overlapping windows add into the same plane in output order.
#pragma omp parallel for schedule(static) if (dx.numel() >= ops::kParallelMinElements)
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t i = 0; i < plane_out; ++i) d[pl * plane_in + arg[pl * plane_out + i]] += dy[pl * plane_out + i];
  return dx;
}

}  // namespace bitblock
