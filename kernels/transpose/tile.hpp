#pragma once
// One strip of the transpose: rows [r0, r1) of a matrix, all its columns.
#include <cstdint>

namespace bitblock::kernels::detail {

void transpose_strip_portable(const float* A, int64_t r0, int64_t r1, int64_t cols, int64_t lda, float* B,
                              int64_t ldb);
void transpose_strip_avx2(const float* A, int64_t r0, int64_t r1, int64_t cols, int64_t lda, float* B, int64_t ldb);

}  // namespace bitblock::kernels::detail
