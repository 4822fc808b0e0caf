#pragma once
// Binary weights for the binary GEMM (kernels/bgemm_blocks.hpp) on one device: the signs of a
// 1-bit W_eff on the kept blocks of a layout, with its row scales, multiplied by inputs the layer
// knows to be sign activations (+-1, and 0 from a convolution's zero padding). The product is the
// exact integer sum times the row's scale: the float path's sum of +-scale terms rounds at
// every add, so the two agree up to float rounding, and exactly where the scale is a power of
// two. Made by the ops for a device (ops::binary_weights), which says which layouts it can run.
#include <cstdint>

#include "bitblock/framework/tensor.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock {

class BinaryWeights {
 public:
  explicit BinaryWeights(kernels::BsrLayout layout) : layout_(std::move(layout)) {}
  virtual ~BinaryWeights() = default;
  BinaryWeights(const BinaryWeights&) = delete;
  BinaryWeights& operator=(const BinaryWeights&) = delete;

  const kernels::BsrLayout& layout() const { return layout_; }
  // This step's W_eff (+-scale at kept positions): dense [rows, cols], or the kept blocks'
  // values [kept, block_rows, block_cols] in layout order.
  virtual void set_dense(const Tensor& effective) = 0;
  virtual void set_kept(const Tensor& blocks) = 0;
  // y [M, rows] = x [M, cols] W_eff^T for x with values in {-1, 0, +1} (y overwritten).
  virtual void forward(const Tensor& x, Tensor& y) = 0;

 private:
  kernels::BsrLayout layout_;
};

}  // namespace bitblock
