// AVX2 sign packing: 8 signs per compare + movemask, 64 per word.
#include <immintrin.h>

#include <algorithm>

#include "bitblock/kernels/pack.hpp"
#include "pack/pack_avx2.hpp"

namespace bitblock::kernels::detail {

void pack_signs_avx2(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out) {
  const int64_t words = sign_words(cols);
  const __m256 zero = _mm256_setzero_ps();
#pragma omp parallel for schedule(static) if (rows * cols > (1 << 16))
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = X + r * ldx;
    for (int64_t w = 0; w < words; ++w) {
      const int64_t c0 = w * 64, n = std::min<int64_t>(64, cols - c0);
      uint64_t word = 0;
      int64_t c = 0;
      for (; c + 8 <= n; c += 8) {
        // x >= 0 (ordered, so NaN counts as negative like the scalar compare).
        const __m256 ge = _mm256_cmp_ps(_mm256_loadu_ps(x + c0 + c), zero, _CMP_GE_OQ);
        word |= static_cast<uint64_t>(static_cast<unsigned>(_mm256_movemask_ps(ge))) << c;
      }
      for (; c < n; ++c) word |= static_cast<uint64_t>(x[c0 + c] >= 0.0f) << c;
      out[r * words + w] = word;
    }
  }
}

}  // namespace bitblock::kernels::detail
