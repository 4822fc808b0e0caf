// Batched transpose on the CPU: work items are strips of 64 rows of one sample, so a small batch
// of tall matrices still spreads over the threads.
#include <algorithm>

#include "bitblock/kernels/cpu_features.hpp"
#include "bitblock/kernels/transpose.hpp"
#include "transpose/tile.hpp"

namespace bitblock::kernels {
namespace {
constexpr int64_t kStrip = 64;
constexpr int64_t kParallelElements = int64_t{1} << 18;
}  // namespace

namespace detail {
void transpose_strip_portable(const float* A, int64_t r0, int64_t r1, int64_t cols, int64_t lda, float* B,
                              int64_t ldb) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t c = 0; c < cols; ++c) B[c * ldb + r] = A[r * lda + c];
}
}  // namespace detail

void transpose(const float* A, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* B,
               int64_t ldb, int64_t b_stride) {
  const bool avx2 = active_isa() != Isa::Portable;
  const int64_t strips = (rows + kStrip - 1) / kStrip;
#pragma omp parallel for schedule(static) if (batch * rows * cols >= kParallelElements)
  for (int64_t t = 0; t < batch * strips; ++t) {
    const int64_t s = t / strips, r0 = (t % strips) * kStrip, r1 = std::min(rows, r0 + kStrip);
    if (avx2) {
      detail::transpose_strip_avx2(A + s * a_stride, r0, r1, cols, lda, B + s * b_stride, ldb);
    } else {
      detail::transpose_strip_portable(A + s * a_stride, r0, r1, cols, lda, B + s * b_stride, ldb);
    }
  }
}

}  // namespace bitblock::kernels
