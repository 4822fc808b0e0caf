#pragma once
// Float block-sparse GEMMs for training with BsrWeights (bsr.hpp). Wd = dequantized weights,
// Wd[n][k] = code[n][k] * row_scales[n] inside kept blocks, 0 elsewhere. Dropped blocks cost
// nothing in all three products. Optimized versions: AVX2 + FMA or portable by active_isa(),
// OpenMP over block-rows / block-columns.
#include <cstdint>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/bsr_plan.hpp"

namespace bitblock::kernels {

// Forward: Y[M x N] = X[M x K] * Wd^T (Y overwritten).
void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const BsrWeights& W, float* Y, int64_t ldy);
// Input gradient: dX[M x K] = dY[M x N] * Wd (dX overwritten).
void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const BsrWeights& W, float* dX,
                           int64_t lddx);
// The same two products from a plan (bsr_plan.hpp) whose values are current: no decoding, so a
// training step refreshes the plan once and runs both products from it. Results equal the
// BsrWeights versions bit for bit.
void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const BsrPlan& P, float* Y, int64_t ldy);
void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const BsrPlan& P, float* dX, int64_t lddx);
// Weight gradient on kept blocks only: for kept block b at (block-row i, block-column j),
// dW[b * block_elems + r * block_cols + c] = sum_m dY[m][i*br + r] * X[m][j*bc + c], i.e. the
// gradient with respect to Wd, in the order of the packed codes; ragged-edge positions are 0.
// dW has layout.kept_blocks() * layout.block_elems() floats (overwritten).
void bsgemm_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                            const BsrLayout& layout, float* dW);
// The same added to dW. On the CPU each output is one multiply-add chain in increasing m that
// continues from dW's value, so a batch given in consecutive groups of rows (the first to
// bsgemm_backward_weight, the rest here) gives the bits of the whole batch at once.
void bsgemm_backward_weight_add(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                                const BsrLayout& layout, float* dW);
// Kept-block values (as from bsgemm_backward_weight) -> dense rows x cols, 0 outside kept blocks.
void bsr_scatter_blocks(const BsrLayout& layout, const float* blocks, float* dense);
// The same without the fill: only the kept blocks' in-matrix positions of dense are written.
void bsr_write_blocks(const BsrLayout& layout, const float* blocks, float* dense);
// The inverse: kept blocks of dense (rows x cols) -> blocks in that order, ragged-edge positions 0.
void bsr_gather_blocks(const BsrLayout& layout, const float* dense, float* blocks);

namespace reference {
void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const BsrWeights& W, float* Y, int64_t ldy);
void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const BsrWeights& W, float* dX,
                           int64_t lddx);
void bsgemm_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                            const BsrLayout& layout, float* dW);
}  // namespace reference

}  // namespace bitblock::kernels
