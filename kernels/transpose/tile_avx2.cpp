// AVX2 transpose strip: 8 x 8 register tiles, the ragged edges element by element.
#include "common/transpose8_avx2.hpp"
#include "transpose/tile.hpp"

namespace bitblock::kernels::detail {

void transpose_strip_avx2(const float* A, int64_t r0, int64_t r1, int64_t cols, int64_t lda, float* B, int64_t ldb) {
  int64_t r = r0;
  for (; r + 8 <= r1; r += 8) {
    int64_t c = 0;
    for (; c + 8 <= cols; c += 8) transpose8x8_avx2(A + r * lda + c, lda, B + c * ldb + r, ldb);
    for (int64_t rr = r; rr < r + 8; ++rr)
      for (int64_t cc = c; cc < cols; ++cc) B[cc * ldb + rr] = A[rr * lda + cc];
  }
  transpose_strip_portable(A, r, r1, cols, lda, B, ldb);
}

}  // namespace bitblock::kernels::detail
