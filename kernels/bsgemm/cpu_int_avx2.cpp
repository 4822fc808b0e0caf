// AVX2 integer panel product: 16 int16 products per _mm256_madd_epi16, eight output rows at a
// time so one gathered activation load feeds eight multiply-adds.
#include <immintrin.h>

#include <cstring>

#include "bsgemm/int_panel.hpp"

namespace bitblock::kernels::detail {
namespace {

// Lane i of the result = sum of the eight int32 lanes of a[i].
inline __m256i reduce8(const __m256i a[8]) {
  const __m256i t0 = _mm256_hadd_epi32(a[0], a[1]);
  const __m256i t1 = _mm256_hadd_epi32(a[2], a[3]);
  const __m256i t2 = _mm256_hadd_epi32(a[4], a[5]);
  const __m256i t3 = _mm256_hadd_epi32(a[6], a[7]);
  const __m256i u0 = _mm256_hadd_epi32(t0, t1);
  const __m256i u1 = _mm256_hadd_epi32(t2, t3);
  return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

void gather_row(const int16_t* x, const IntPanel& p, int16_t* xg) {
  int64_t offset = 0;
  for (size_t b = 0; b < p.col_start.size(); ++b) {
    const int16_t* src = x + p.col_start[b];
    const int n = p.col_count[b];
    int c = 0;
    for (; c + 8 <= n; c += 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(xg + offset + c),
                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + c)));
    }
    for (; c < n; ++c) xg[offset + c] = src[c];
    offset += n;
  }
}

}  // namespace

void int_panel_product_avx2(const int16_t* X, int64_t M, int64_t ldx, const IntPanel& p, int32_t* Y,
                            int64_t ldy, int16_t* xg) {
  std::memset(xg, 0, static_cast<size_t>(p.len) * sizeof(int16_t));
  const int64_t len = p.len;
  for (int64_t m = 0; m < M; ++m) {
    gather_row(X + m * ldx, p, xg);
    int32_t* y = Y + m * ldy + p.row0;
    for (int r0 = 0; r0 < p.rows; r0 += 8) {
      const int16_t* w = p.codes.data() + static_cast<int64_t>(r0) * len;
      __m256i acc[8];
      #pragma GCC unroll 8
      for (auto& a : acc) a = _mm256_setzero_si256();
      for (int64_t k = 0; k < len; k += 16) {
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xg + k));
        #pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) {
          const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * len + k));
          acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(xv, wv));
        }
      }
      const __m256i sums = reduce8(acc);
      if (r0 + 8 <= p.rows) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + r0), sums);
      } else {
        alignas(32) int32_t tmp[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), sums);
        for (int r = r0; r < p.rows; ++r) y[r] = tmp[r - r0];
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
