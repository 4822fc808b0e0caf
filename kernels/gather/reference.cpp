// Plain reference loops for the column gather and scatter: the oracle for the CPU versions.
#include "bitblock/kernels/gather.hpp"

namespace bitblock::kernels::reference {

void gather_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                    int64_t ldy) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < n; ++k) Y[m * ldy + k] = X[m * ldx + cols[k]];
}

void scatter_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                     int64_t width, int64_t ldy) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t j = 0; j < width; ++j) Y[m * ldy + j] = 0.0f;
    for (int64_t k = 0; k < n; ++k) Y[m * ldy + cols[k]] = X[m * ldx + k];
  }
}

}  // namespace bitblock::kernels::reference
