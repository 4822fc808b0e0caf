#pragma once
// Element-sparse float GEMMs for training on kept elements only: W [N x K] (rows = outputs) in
// CSR, its kept values in row order (the order of a kernels::BsrLayout with 1 x 1 blocks, which
// is how the compact training layout stores kept elements). The three products of a training
// step, each touching only the kept weights:
//   forward       Y  = X W^T             (M x N)
//   input grad    dX = dY W              (M x K)
//   weight grad   dW = (dY^T X) at the kept positions only (SDDMM)
// The batch runs along vector lanes (operands are transposed into batch-contiguous rows), so
// each kept weight costs one broadcast and M/8 fused multiply-adds. Optimized versions: AVX2 +
// FMA or portable by active_isa(), OpenMP over output rows; every output is one thread's sum in
// a fixed order, so results do not depend on the thread count.
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels {

struct CsrPlan {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> row_ptr, col_idx;  // CSR: kept elements of row n are row_ptr[n] .. row_ptr[n+1)
  // Column view: the kept elements of column k are entries col_ptr[k] .. col_ptr[k+1) in
  // increasing row order; col_row holds their rows, col_pos their positions in CSR order.
  std::vector<int32_t> col_ptr, col_row, col_pos;
  int64_t kept() const { return static_cast<int64_t>(col_idx.size()); }
};

// The plan of a layout with 1 x 1 blocks (throws std::invalid_argument for other block sizes).
CsrPlan csr_plan(const BsrLayout& layout);

// values: the kept weights in CSR order (plan.kept() floats). Y, dX, dW are overwritten.
void csr_forward(const float* X, int64_t M, int64_t ldx, const CsrPlan& P, const float* values, float* Y, int64_t ldy);
void csr_backward_input(const float* dY, int64_t M, int64_t lddy, const CsrPlan& P, const float* values, float* dX,
                        int64_t lddx);
// dW[e] = sum over m of dY[m][n] X[m][k] for the kept element e = (n, k), CSR order.
void csr_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx, const CsrPlan& P,
                         float* dW);

namespace reference {
void csr_forward(const float* X, int64_t M, int64_t ldx, const CsrPlan& P, const float* values, float* Y, int64_t ldy);
void csr_backward_input(const float* dY, int64_t M, int64_t lddy, const CsrPlan& P, const float* values, float* dX,
                        int64_t lddx);
void csr_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx, const CsrPlan& P,
                         float* dW);
}  // namespace reference

}  // namespace bitblock::kernels
