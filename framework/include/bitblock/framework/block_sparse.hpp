#pragma once
// The packed path's weights on one device: the layout of the kept blocks of a rows x cols matrix
// and their effective values W_eff, compact ([kept blocks, block_rows, block_cols], the
// kernels::BsrLayout order), with the three products of a training step on the kept blocks only
// and the moves between the compact blocks and the dense matrix. Made by the ops for a device
// (ops::block_sparse): the CPU runs kernels::bsgemm on a BsrPlan; CUDA picks, per product and
// shape, the fastest of its verified implementations (kernels() says which).
#include <cstdint>
#include <string>

#include "bitblock/framework/tensor.hpp"
#include "bitblock/kernels/block_layout.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock {

class BlockSparse {
 public:
  explicit BlockSparse(kernels::BsrLayout layout) : layout_(std::move(layout)) {}
  virtual ~BlockSparse() = default;
  BlockSparse(const BlockSparse&) = delete;
  BlockSparse& operator=(const BlockSparse&) = delete;

  const kernels::BsrLayout& layout() const { return layout_; }
  Shape blocks_shape() const { return {layout_.kept_blocks(), layout_.block_rows, layout_.block_cols}; }
  // The layout's arrays where this device's kernels read them (block_row_of included on devices).
  virtual kernels::BlockLayoutView view() const = 0;

  // New effective values of the kept blocks (ragged-edge positions ignored).
  virtual void set_values(const Tensor& blocks) = 0;
  // y [M, rows] = x W_eff^T for x [M, ...] with cols values per sample.
  virtual void forward(const Tensor& x, Tensor& y) = 0;
  // dx [M, cols] = dy W_eff (dx keeps its shape).
  virtual void backward_input(const Tensor& dy, Tensor& dx) = 0;
  // dw (compact) = dY^T X on the kept blocks only, ragged-edge positions 0 (overwritten).
  virtual void backward_weight(const Tensor& dy, const Tensor& x, Tensor& dw) = 0;
  // Kept blocks of dense [rows, cols] -> compact (ragged 0); compact -> the kept positions of dense;
  // compact -> dense with 0 elsewhere.
  virtual void gather(const Tensor& dense, Tensor& blocks) const = 0;
  virtual void write(const Tensor& blocks, Tensor& dense) const = 0;
  virtual void scatter(const Tensor& blocks, Tensor& dense) const = 0;
  // Which implementation runs each product, for the run log.
  virtual std::string kernels() const = 0;

 private:
  kernels::BsrLayout layout_;
};

}  // namespace bitblock
