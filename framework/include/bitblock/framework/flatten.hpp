#pragma once
// [N, d1, d2, ...] -> [N, d1*d2*...]; backward restores the input shape.
#include "bitblock/framework/layer.hpp"

namespace bitblock {

class Flatten : public Layer {
 public:
  std::string kind() const override { return "flatten"; }
  std::string describe() const override { return "flatten"; }
  Shape output_shape(const Shape& input) const override { return {shape_numel(input)}; }
  Tensor forward(const Tensor& x, Context& ctx) override;
  Tensor backward(const Tensor& grad_y) override;

 private:
  Shape input_shape_;
};

}  // namespace bitblock
