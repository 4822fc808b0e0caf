// AVX2 SDDMM tile: up to 2 block rows x 4 block columns of dot products in 8 accumulators (six
// row loads per eight FMAs), reduced with a horizontal-add tree; and 8 x 8 register transposes.
#include <immintrin.h>

#include <algorithm>

#include "bsgemm/sddmm.hpp"
#include "common/transpose8_avx2.hpp"

namespace bitblock::kernels::detail {
namespace {

template <int R, int C>
void tile(const float* dyt, const float* xt, int64_t ld, int64_t len, float* out, int ldo) {
  __m256 s[R][C];
#pragma GCC unroll 2
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) s[r][c] = _mm256_setzero_ps();
  }
  for (int64_t m = 0; m < len; m += 8) {
    __m256 a[R], b[C];
#pragma GCC unroll 2
    for (int r = 0; r < R; ++r) a[r] = _mm256_loadu_ps(dyt + r * ld + m);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) b[c] = _mm256_loadu_ps(xt + c * ld + m);
#pragma GCC unroll 2
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) s[r][c] = _mm256_fmadd_ps(a[r], b[c], s[r][c]);
    }
  }
  if constexpr (R == 2 && C == 4) {
    // Lane i of the result = sum of the lanes of accumulator i (row-major r, c), in the order
    // ((0+1)+(2+3))+((4+5)+(6+7)).
    const __m256 h0 = _mm256_hadd_ps(s[0][0], s[0][1]), h1 = _mm256_hadd_ps(s[0][2], s[0][3]);
    const __m256 h2 = _mm256_hadd_ps(s[1][0], s[1][1]), h3 = _mm256_hadd_ps(s[1][2], s[1][3]);
    const __m256 q0 = _mm256_hadd_ps(h0, h1), q1 = _mm256_hadd_ps(h2, h3);
    const __m256 sum = _mm256_add_ps(_mm256_permute2f128_ps(q0, q1, 0x20), _mm256_permute2f128_ps(q0, q1, 0x31));
    _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), _mm256_castps256_ps128(sum)));
    _mm_storeu_ps(out + ldo, _mm_add_ps(_mm_loadu_ps(out + ldo), _mm256_extractf128_ps(sum, 1)));
  } else {
    alignas(32) float v[8];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        _mm256_store_ps(v, s[r][c]);
        out[r * ldo + c] += ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
      }
    }
  }
}

template <int R>
void tile_cols(int C, const float* dyt, const float* xt, int64_t ld, int64_t len, float* out, int ldo) {
  switch (C) {
    case 4: tile<R, 4>(dyt, xt, ld, len, out, ldo); break;
    case 3: tile<R, 3>(dyt, xt, ld, len, out, ldo); break;
    case 2: tile<R, 2>(dyt, xt, ld, len, out, ldo); break;
    default: tile<R, 1>(dyt, xt, ld, len, out, ldo); break;
  }
}

}  // namespace

void sddmm_block_avx2(const float* dyt, const float* xt, int64_t ld, int64_t len, int nr, int nc, float* out, int ldo) {
  for (int r = 0; r < nr; r += 2) {
    for (int c = 0; c < nc; c += 4) {
      const int C = std::min(4, nc - c);
      if (r + 1 < nr) {
        tile_cols<2>(C, dyt + r * ld, xt + c * ld, ld, len, out + r * ldo + c, ldo);
      } else {
        tile_cols<1>(C, dyt + r * ld, xt + c * ld, ld, len, out + r * ldo + c, ldo);
      }
    }
  }
}

void transpose_pad_avx2(const float* A, int64_t rows, int64_t lda, int64_t c0, int64_t c1, float* AT, int64_t ldt) {
  int64_t c = c0;
  for (; c + 8 <= c1; c += 8) {
    int64_t r = 0;
    for (; r + 8 <= rows; r += 8) {
      transpose8x8_avx2(A + r * lda + c, lda, AT + c * ldt + r, ldt);
    }
    transpose_pad_portable(A, r, rows, lda, c, c + 8, AT, ldt);
  }
  transpose_pad_portable(A, 0, rows, lda, c, c1, AT, ldt);
}

}  // namespace bitblock::kernels::detail
