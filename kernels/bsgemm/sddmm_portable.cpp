// Portable SDDMM tile and transpose: plain loops with eight partial sums per dot product, in the
// same order as the AVX2 lanes.
#include <algorithm>

#include "bsgemm/sddmm.hpp"

namespace bitblock::kernels::detail {

void transpose_pad_portable(const float* A, int64_t r0, int64_t rows, int64_t lda, int64_t c0, int64_t c1, float* AT,
                            int64_t ldt) {
  for (int64_t c = c0; c < c1; ++c) {
    float* at = AT + c * ldt;
    for (int64_t r = r0; r < rows; ++r) at[r] = A[r * lda + c];
    std::fill(at + rows, at + ldt, 0.0f);
  }
}

void sddmm_block_portable(const float* dyt, const float* xt, int64_t ld, int64_t len, int nr, int nc, float* out,
                          int ldo) {
  for (int r = 0; r < nr; ++r) {
    for (int c = 0; c < nc; ++c) {
      float part[8] = {};
      for (int64_t m = 0; m < len; m += 8) {
        for (int v = 0; v < 8; ++v) part[v] += dyt[r * ld + m + v] * xt[c * ld + m + v];
      }
      out[r * ldo + c] += ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    }
  }
}

}  // namespace bitblock::kernels::detail
