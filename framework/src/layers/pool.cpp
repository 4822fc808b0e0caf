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
  input_shape_ = x.shape();
  Tensor y = Tensor::for_output({x.dim(0), x.dim(1), out[1], out[2]}, x.context());
  argmax_.reset(y.numel(), x.context());
  ops::maxpool_forward(x, kernel_, stride_, y, argmax_);
  return y;
}

Tensor MaxPool2d::backward(const Tensor& grad_y) {
  if (input_shape_.empty()) fail_input("maxpool", "backward called before forward");
  const Shape out = output_shape({input_shape_[1], input_shape_[2], input_shape_[3]});
  if (grad_y.shape() != Shape{input_shape_[0], out[0], out[1], out[2]})
    fail_input("maxpool", "backward got " + shape_str(grad_y.shape()));
  Tensor dx = Tensor::for_output(input_shape_, grad_y.context());
  ops::maxpool_backward(grad_y, argmax_, kernel_, stride_, dx);
  return dx;
}

}  // namespace bitblock
