#pragma once
// AVX2 weight-gradient block kernel, compiled only into bsgemm/cpu_float_avx2.cpp.
#include <cstdint>

namespace bitblock::kernels::detail {
// dWb[r][c] += sum_{m < rows} dY[m][r] * X[m][c] for r < nr, c < nc (dWb row stride ldw).
void sddmm_block_avx2(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows, int nr, int nc,
                      float* dWb, int ldw);
}  // namespace bitblock::kernels::detail
