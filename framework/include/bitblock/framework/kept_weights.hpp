#pragma once
// The kept path's weights on one device: the kept units of a fixed mask laid out as the blocks
// of a kernels::BsrLayout (block R x C, row 1 x cols, column rows x 1, element 1 x 1:
// unit_block_shape), their effective values W_eff as a kept tensor ([kept units, block_rows,
// block_cols]), and the three products of a training step on the kept weights only, with the
// moves between the kept tensor and the dense rows x cols matrix. Made by the ops for a device (ops::kept_weights):
//  * CPU: blocks on the block-sparse kernels (kernels::bsgemm, a BsrPlan); rows and columns as a
//    dense matrix of the kept ones (OpenBLAS) with the outputs / inputs scattered and gathered
//    (kernels::gather_columns / scatter_columns); elements on the CSR kernels (kernels::csr_*).
//  * CUDA: per product and shape the fastest of its verified implementations (custom bsgemm
//    kernels, cuSPARSE BSR, cuBLAS on the dense masked matrix), measured once when made;
//    kernels() says which.
#include <cstdint>
#include <string>

#include "bitblock/framework/tensor.hpp"
#include "bitblock/kernels/block_layout.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock {

// What the kept path keeps: None means the dense (masked) path.
enum class KeptUnit { None, Block, Row, Column, Element };
const char* to_string(KeptUnit u);

class KeptWeights {
 public:
  KeptWeights(kernels::BsrLayout layout, KeptUnit unit) : layout_(std::move(layout)), unit_(unit) {}
  virtual ~KeptWeights() = default;
  KeptWeights(const KeptWeights&) = delete;
  KeptWeights& operator=(const KeptWeights&) = delete;

  const kernels::BsrLayout& layout() const { return layout_; }
  KeptUnit unit() const { return unit_; }
  Shape blocks_shape() const { return {layout_.kept_blocks(), layout_.block_rows, layout_.block_cols}; }
  // The layout's arrays where this device's kernels read them (block_row_of included on devices).
  virtual kernels::BlockLayoutView view() const = 0;

  // The effective values of the kept units for this step's products (ragged-edge positions
  // ignored), with the latent kept units and the scales they were quantized from (the
  // constraint's: 1 or rows values; empty for float weights), for implementations that read
  // codes. The tensors must stay alive and unchanged until the step's products have run.
  virtual void set_values(const Tensor& effective, const Tensor& latent, const Tensor& scales) = 0;
  // y [M, rows] = x W_eff^T for x [M, ...] with cols values per sample (y overwritten).
  virtual void forward(const Tensor& x, Tensor& y) = 0;
  // After forward(x): dw (kept tensor) = dY^T X at the kept positions, ragged-edge positions 0
  // (overwritten); then, when wanted, dx [M, cols] = dy W_eff (overwritten; dx keeps its shape).
  virtual void backward_weight(const Tensor& dy, const Tensor& x, Tensor& dw) = 0;
  // The next rows of the same batch: dw's sums continued over them (the bits of the rows at once),
  // returning true; or false, dw untouched, where this device's kernels cannot continue a sum.
  virtual bool backward_weight_add(const Tensor& dy, const Tensor& x, Tensor& dw) = 0;
  virtual void backward_input(const Tensor& dy, Tensor& dx) = 0;
  // Kept units of dense [rows, cols] -> kept tensor (ragged 0); kept tensor -> the kept positions
  // of dense; kept tensor -> dense with 0 elsewhere.
  virtual void gather(const Tensor& dense, Tensor& blocks) const = 0;
  virtual void write(const Tensor& blocks, Tensor& dense) const = 0;
  virtual void scatter(const Tensor& blocks, Tensor& dense) const = 0;
  // Which implementation runs each product, for the run log.
  virtual std::string kernels() const = 0;

 private:
  kernels::BsrLayout layout_;
  KeptUnit unit_;
};

}  // namespace bitblock
