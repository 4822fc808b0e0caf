#include "bitblock/framework/flatten.hpp"

#include "bitblock/common/error.hpp"

namespace bitblock {

Tensor Flatten::forward(const Tensor& x, Context& /*ctx*/) {
  if (x.rank() < 1) fail_input("flatten", "needs a batch dimension");
  input_shape_ = x.shape();
  const int64_t batch = x.dim(0);
  return x.reshaped({batch, batch ? x.numel() / batch : 0});
}

Tensor Flatten::backward(const Tensor& grad_y) {
  if (grad_y.numel() != shape_numel(input_shape_))
    fail_input("flatten", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(input_shape_));
  return grad_y.reshaped(input_shape_);
}

}  // namespace bitblock
