// Portable inner loops of the CSR products (csr_rows.hpp).
#include <algorithm>

#include "csr/csr_rows.hpp"

namespace bitblock::kernels::detail {

void spmm_rows_portable(const int32_t* ptr, const int32_t* idx, const float* val, const float* in, int64_t ld,
                        int64_t len, int64_t i0, int64_t i1, float* out) {
  for (int64_t i = i0; i < i1; ++i) {
    float* o = out + i * ld;
    std::fill(o, o + len, 0.0f);
    for (int32_t e = ptr[i]; e < ptr[i + 1]; ++e) {
      const float v = val[e];
      const float* r = in + int64_t{idx[e]} * ld;
      for (int64_t m = 0; m < len; ++m) o[m] += v * r[m];
    }
  }
}

void sddmm_rows_portable(const int32_t* ptr, const int32_t* idx, const float* a, const float* b, int64_t ld,
                         int64_t len, int64_t i0, int64_t i1, float* dw) {
  for (int64_t i = i0; i < i1; ++i) {
    const float* ar = a + i * ld;
    for (int32_t e = ptr[i]; e < ptr[i + 1]; ++e) {
      const float* br = b + int64_t{idx[e]} * ld;
      float part[8] = {};
      for (int64_t m = 0; m < len; m += 8)
        for (int v = 0; v < 8; ++v) part[v] += ar[m + v] * br[m + v];
      dw[e] = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    }
  }
}

void transpose_back_portable(const float* T, int64_t rows, int64_t ldt, int64_t c0, int64_t c1, float* Y,
                             int64_t ldy) {
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t r = 0; r < rows; ++r) Y[c * ldy + r] = T[r * ldt + c];
}

void transpose_pad_portable(const float* A, int64_t r0, int64_t rows, int64_t lda, int64_t c0, int64_t c1, float* AT,
                            int64_t ldt) {
  for (int64_t c = c0; c < c1; ++c) {
    float* at = AT + c * ldt;
    for (int64_t r = r0; r < rows; ++r) at[r] = A[r * lda + c];
    std::fill(at + rows, at + ldt, 0.0f);
  }
}

}  // namespace bitblock::kernels::detail
