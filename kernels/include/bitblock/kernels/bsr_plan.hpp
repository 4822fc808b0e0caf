#pragma once
// Float form of BsrWeights for the training products (bsgemm.hpp): the kept blocks dequantized
// once, laid out as the forward and input-gradient kernels read them, plus the block-column view
// of the layout. Training builds one plan per layer when the mask changes and refreshes its
// values once per step after re-quantizing (bsr_plan_set_blocks), then runs the forward and
// backward products of that step from the plan, so the weights are laid out once per step
// instead of in every product.
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels {

struct BsrPlan {
  BsrLayout layout;
  int fwd_lanes = 8;  // block_rows rounded up to a multiple of 8
  int bwd_lanes = 8;  // block_cols rounded up to a multiple of 8
  // Block-column view: the kept blocks of block-column j are col_block[col_ptr[j] .. col_ptr[j+1])
  // (block numbers in CSR order, increasing block-row); col_row holds their block-rows.
  std::vector<int32_t> col_ptr, col_block, col_row;
  // Wd = code * row scale, 0 at ragged-edge positions and in the padding lanes.
  // fwd: kept block b, column c -> fwd_lanes floats Wd[r][c] over r, at (b * block_cols + c) * fwd_lanes.
  // bwd: kept block b, row r -> bwd_lanes floats Wd[r][c] over c, at (b * block_rows + r) * bwd_lanes.
  std::vector<float> fwd, bwd;
};

// Layout, block-column view and values of W (throws InputError when W is inconsistent).
BsrPlan bsr_plan(const BsrWeights& W);
// New values from W (same layout as the plan's, e.g. after bsr_refresh); throws InputError when
// W's layout differs from the plan's.
void bsr_plan_refresh(BsrPlan& plan, const BsrWeights& W);

// Training path, which holds the effective weights (the constraint's W_eff = Q(M (.) W)) of the
// kept blocks as floats, stored compactly (bsgemm.hpp, bsr_gather_blocks: block b, row r, col c
// at (b * block_rows + r) * block_cols + c): a plan for a layout with zero values, then its
// values copied from the blocks once per step. Ragged-edge positions are ignored; ragged and
// padding lanes stay 0.
BsrPlan bsr_plan_for_layout(const BsrLayout& layout);
void bsr_plan_set_blocks(BsrPlan& plan, const float* blocks);

}  // namespace bitblock::kernels
