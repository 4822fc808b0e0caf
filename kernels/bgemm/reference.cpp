// Plain binary GEMMs, one +-1 product at a time: the oracle for the SIMD and CUDA versions.
#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::reference {
namespace {
int sign_at(const uint64_t* row, int64_t k) { return (row[k / 64] >> (k % 64)) & 1u ? 1 : -1; }
}  // namespace

void bgemm_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc) {
  const int64_t words = sign_words(K);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += sign_at(A + m * words, k) * sign_at(B + n * words, k);
      C[m * ldc + n] = acc;
    }
  }
}

void bgemm_float_binary(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                        const float* row_scales, float* Y, int64_t ldy) {
  const int64_t words = sign_words(K);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double acc = 0.0;
      for (int64_t k = 0; k < K; ++k) acc += sign_at(W + n * words, k) * static_cast<double>(X[m * ldx + k]);
      Y[m * ldy + n] = static_cast<float>(acc) * (row_scales ? row_scales[n] : 1.0f);
    }
  }
}

}  // namespace bitblock::kernels::reference
