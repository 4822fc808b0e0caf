// Plain reference transpose: the oracle for the CPU versions.
#include "bitblock/kernels/transpose.hpp"

namespace bitblock::kernels::reference {

void transpose(const float* A, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* B,
               int64_t ldb, int64_t b_stride) {
  for (int64_t s = 0; s < batch; ++s)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) B[s * b_stride + c * ldb + r] = A[s * a_stride + r * lda + c];
}

}  // namespace bitblock::kernels::reference
