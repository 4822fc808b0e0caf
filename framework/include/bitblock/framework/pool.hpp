#pragma once
// Max pooling over square windows of NCHW inputs, no padding: out = (H - kernel) / stride + 1.
// Ties go to the first maximum in row-major window order; backward routes each output gradient
// to that position (summed where windows overlap).
#include <cstdint>

#include "bitblock/framework/array.hpp"
#include "bitblock/framework/layer.hpp"

namespace bitblock {

class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(int kernel, int stride = 0);  // stride 0 = kernel (non-overlapping)

  std::string kind() const override { return "maxpool"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;  // [C, H, W]
  Tensor forward(const Tensor& x, Context& ctx) override;
  Tensor backward(const Tensor& grad_y) override;

  int kernel() const { return kernel_; }
  int stride() const { return stride_; }

 private:
  int kernel_, stride_;
  Shape input_shape_;
  Array<int32_t> argmax_;  // per output: offset of the maximum inside its input plane
};

}  // namespace bitblock
