#pragma once
// Kept-blocks-only weight gradient (SDDMM) of one block row over a run of batch rows:
//   dW[b][r][c] += sum over m < rows of dY[m][i * br + r] * X[m][j * bc + c]
// for the kept blocks b = (i, j) of block row i, dW in the compact kept-block layout. Each output
// is one multiply-add chain in increasing m, kept in registers along the run and added to its
// running value in dW, so a batch cut into runs (cache-sized chunks, sample groups) gives the same
// sum as one run: the bits depend on neither the chunking nor the thread count. dY and X point at
// the run's first row (row-major, strides lddy and ldx). The AVX2 and AVX-512 versions give the
// same bits (one FMA per term); the portable one multiplies and adds.
#include <cstdint>

#include "bitblock/kernels/block_layout.hpp"

namespace bitblock::kernels::detail {

void sddmm_row_portable(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows,
                        const BsrLayout& layout, int64_t i, float* dW);
// One block: rows [0, nr) x columns [0, nc) at dy (dY's column of the block's first row), x (X's
// column of its first column), out (its first output, rows ldo apart).
void sddmm_block_avx2(const float* dy, int64_t lddy, const float* x, int64_t ldx, int64_t rows, int nr, int nc,
                      float* out, int ldo);
void sddmm_row_avx2(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows, const BsrLayout& layout,
                    int64_t i, float* dW);
// 8-column blocks run two block rows per vector, up to four blocks at a time; other block shapes
// run sddmm_row_avx2.
void sddmm_row_avx512(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows,
                      const BsrLayout& layout, int64_t i, float* dW);

}  // namespace bitblock::kernels::detail
