#pragma once
// Inverted dropout: in training each element is kept with probability 1 - p and scaled by
// 1 / (1 - p), the mask drawn from Context.rng (required in training; kernels/dropout.hpp: the
// same mask on every device for the same stream); identity in evaluation.
#include "bitblock/framework/layer.hpp"

namespace bitblock {

class Dropout : public Layer {
 public:
  explicit Dropout(float p);  // p in [0, 1)

  std::string kind() const override { return "dropout"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override { return input; }
  Tensor forward(const Tensor& x, Context& ctx) override;
  Tensor backward(const Tensor& grad_y) override;

  float p() const { return p_; }

 private:
  float p_;
  bool masked_ = false;  // last forward applied a mask
  Tensor mask_;          // 0 or 1 / (1 - p)
};

}  // namespace bitblock
