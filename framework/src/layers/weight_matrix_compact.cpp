// WeightMatrix's compact path: the kept units' layout and the three products on kept weights
// only (block-sparse kernels for blocks, OpenBLAS on the kept rows / columns, CSR kernels for
// elements).
#include <stdexcept>

#include "bitblock/framework/ops.hpp"
#include "bitblock/framework/weight_matrix.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/gather.hpp"

namespace bitblock {

void WeightMatrix::ensure_compact() {
  const KeptUnit u = unit();
  if (layout_unit_ != u || layout_mask_version_ != constraint_->mask_version()) {
    const auto [br, bc] = unit_block_shape(constraint_->spec(), rows_, cols_);
    kernels::BsrLayout layout = kernels::bsr_layout_from_mask(constraint_->mask().data(), rows_, cols_, br, bc);
    int64_t covered = 0;  // in-matrix elements of the kept units: all of them must be kept
    for (int64_t i = 0; i < layout.num_block_rows(); ++i)
      for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b)
        covered += int64_t{layout.rows_in_block_row(i)} * layout.cols_in_block_col(layout.block_col_idx[b]);
    if (covered != constraint_->kept()) throw std::logic_error("WeightMatrix: the compact path needs a mask of whole units");
    // A restored checkpoint sets the same mask again: the compact weights stay as they are.
    const bool same = layout_unit_ == u && layout.block_row_ptr == layout_.block_row_ptr &&
                      layout.block_col_idx == layout_.block_col_idx;
    if (!same) {
      weight();  // the kept weights of the old layout back into weight_
      layout_ = std::move(layout);
      kept_index_.clear();
      if (u == KeptUnit::Row) {
        for (int64_t i = 0; i < rows_; ++i)
          if (layout_.block_row_ptr[i + 1] > layout_.block_row_ptr[i]) kept_index_.push_back(static_cast<int32_t>(i));
      } else if (u == KeptUnit::Column) {
        kept_index_ = layout_.block_col_idx;
      }
      if (u == KeptUnit::Block) plan_ = kernels::bsr_plan_for_layout(layout_);
      if (u == KeptUnit::Element) csr_ = kernels::csr_plan(layout_);
    }
    layout_unit_ = u;
    layout_mask_version_ = constraint_->mask_version();
  }
  if (compact_live_) return;
  const Shape shape{layout_.kept_blocks(), layout_.block_rows, layout_.block_cols};
  if (kept_g_.shape() != shape) kept_g_ = Tensor(shape);
  kept_w_.resize(shape);
  kernels::bsr_gather_blocks(layout_, weight_.data(), kept_w_.data());
  compact_live_ = true;
}

void WeightMatrix::compact_prepare() {
  ensure_compact();
  eff_units_.resize(static_cast<size_t>(kept_w_.numel()));
  constraint_->apply_blocks(layout_, kept_w_.data(), eff_units_.data());
  if (layout_unit_ == KeptUnit::Block) kernels::bsr_plan_set_blocks(plan_, eff_units_.data());
}

void WeightMatrix::compact_forward(const float* X, int64_t M, float* Y) {
  const float* eff = eff_units_.data();
  const int64_t kept = layout_.kept_blocks();
  const int32_t* idx = kept_index_.data();
  switch (layout_unit_) {
    case KeptUnit::Block: kernels::bsgemm_forward(X, M, cols_, plan_, Y, rows_); break;
    case KeptUnit::Row:  // eff: the kept rows of W_eff, [kept, cols]
      narrow_.resize(static_cast<size_t>(M * kept));
      ops::gemm(false, true, M, kept, cols_, 1.0f, X, eff, 0.0f, narrow_.data());
      kernels::scatter_columns(narrow_.data(), M, kept, idx, kept, Y, rows_, rows_);
      break;
    case KeptUnit::Column:  // eff: the kept columns of W_eff, transposed, [kept, rows]
      gathered_.resize(static_cast<size_t>(M * kept));
      kernels::gather_columns(X, M, cols_, idx, kept, gathered_.data(), kept);
      ops::gemm(false, false, M, rows_, kept, 1.0f, gathered_.data(), eff, 0.0f, Y);
      break;
    case KeptUnit::Element: kernels::csr_forward(X, M, cols_, csr_, eff, Y, rows_); break;
    case KeptUnit::None: throw std::logic_error("WeightMatrix: compact product without a compact layout");
  }
}

void WeightMatrix::compact_backward(const float* dY, int64_t M, const float* X, float* dX) {
  const float* eff = eff_units_.data();
  const int64_t kept = layout_.kept_blocks();
  const int32_t* idx = kept_index_.data();
  // dW_eff of the kept units, compact; then their straight-through gradient (the mask is 1 there).
  grad_units_.resize(static_cast<size_t>(kept_w_.numel()));
  switch (layout_unit_) {
    case KeptUnit::Block:
      kernels::bsgemm_backward_weight(dY, M, rows_, X, cols_, layout_, grad_units_.data());
      break;
    case KeptUnit::Row:  // dY's kept columns, [M, kept], serve the input gradient too
      gathered_.resize(static_cast<size_t>(M * kept));
      kernels::gather_columns(dY, M, rows_, idx, kept, gathered_.data(), kept);
      ops::gemm(true, false, kept, cols_, M, 1.0f, gathered_.data(), X, 0.0f, grad_units_.data());
      break;
    case KeptUnit::Column:  // X's kept columns (again: a layer may have run other groups since)
      gathered_.resize(static_cast<size_t>(M * kept));
      kernels::gather_columns(X, M, cols_, idx, kept, gathered_.data(), kept);
      ops::gemm(true, false, kept, rows_, M, 1.0f, gathered_.data(), dY, 0.0f, grad_units_.data());
      break;
    case KeptUnit::Element: kernels::csr_backward_weight(dY, M, rows_, X, cols_, csr_, grad_units_.data()); break;
    case KeptUnit::None: throw std::logic_error("WeightMatrix: compact product without a compact layout");
  }
  constraint_->backward_blocks(kept_w_.data(), grad_units_.data(), kept_g_.data(), kept_g_.numel());
  if (!dX) return;
  switch (layout_unit_) {
    case KeptUnit::Block: kernels::bsgemm_backward_input(dY, M, rows_, plan_, dX, cols_); break;
    case KeptUnit::Row: ops::gemm(false, false, M, cols_, kept, 1.0f, gathered_.data(), eff, 0.0f, dX); break;
    case KeptUnit::Column:
      narrow_.resize(static_cast<size_t>(M * kept));
      ops::gemm(false, true, M, kept, rows_, 1.0f, dY, eff, 0.0f, narrow_.data());
      kernels::scatter_columns(narrow_.data(), M, kept, idx, kept, dX, cols_, cols_);
      break;
    case KeptUnit::Element: kernels::csr_backward_input(dY, M, rows_, csr_, eff, dX, cols_); break;
    case KeptUnit::None: break;
  }
}

}  // namespace bitblock
