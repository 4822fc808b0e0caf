// Column gather and scatter for training: rows in parallel for large matrices (conv patch
// matrices); the scatter writes each output row once, in order, zeros and kept columns merged,
// instead of clearing the row and storing into it again.
#include <cstring>

#include "bitblock/kernels/gather.hpp"

namespace bitblock::kernels {
namespace {
// Below this many elements a parallel region costs more than the copies (an MLP batch).
constexpr int64_t kParallelElements = int64_t{1} << 18;
}  // namespace

void gather_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                    int64_t ldy) {
#pragma omp parallel for schedule(static) if (M * n >= kParallelElements)
  for (int64_t m = 0; m < M; ++m) {
    const float* x = X + m * ldx;
    float* y = Y + m * ldy;
    for (int64_t k = 0; k < n; ++k) y[k] = x[cols[k]];
  }
}

void scatter_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                     int64_t width, int64_t ldy) {
#pragma omp parallel for schedule(static) if (M * width >= kParallelElements)
  for (int64_t m = 0; m < M; ++m) {
    const float* x = X + m * ldx;
    float* y = Y + m * ldy;
    int64_t j = 0;  // next column of y to write
    for (int64_t k = 0; k < n; ++k) {
      const int64_t c = cols[k];
      if (c > j) std::memset(y + j, 0, static_cast<size_t>(c - j) * sizeof(float));
      y[c] = x[k];
      j = c + 1;
    }
    if (width > j) std::memset(y + j, 0, static_cast<size_t>(width - j) * sizeof(float));
  }
}

}  // namespace bitblock::kernels
