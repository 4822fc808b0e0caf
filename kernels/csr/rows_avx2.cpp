// AVX2 inner loops of the CSR products (csr_rows.hpp): a row's outputs for up to 104 batch rows
// stay in 13 accumulators while its kept weights stream by (one broadcast and one FMA with a
// folded load per 8 batch rows); dot products go eight kept weights at a time, reduced together.
#include <immintrin.h>

#include <algorithm>

#include "common/transpose8_avx2.hpp"
#include "csr/csr_rows.hpp"

namespace bitblock::kernels::detail {
namespace {

constexpr int kMaxVectors = 13;  // accumulators + the broadcast fit the 16 ymm registers

template <int V>
void spmm_chunk(const int32_t* ptr, const int32_t* idx, const float* val, const float* in, int64_t ld, int64_t i0,
                int64_t i1, float* out) {
  for (int64_t i = i0; i < i1; ++i) {
    __m256 acc[V];
#pragma GCC unroll 13
    for (int v = 0; v < V; ++v) acc[v] = _mm256_setzero_ps();
    for (int32_t e = ptr[i]; e < ptr[i + 1]; ++e) {
      const __m256 w = _mm256_broadcast_ss(val + e);
      const float* r = in + int64_t{idx[e]} * ld;
#pragma GCC unroll 13
      for (int v = 0; v < V; ++v) acc[v] = _mm256_fmadd_ps(w, _mm256_loadu_ps(r + 8 * v), acc[v]);
    }
#pragma GCC unroll 13
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + i * ld + 8 * v, acc[v]);
  }
}

template <int V>
void spmm_dispatch(int vectors, const int32_t* ptr, const int32_t* idx, const float* val, const float* in, int64_t ld,
                   int64_t i0, int64_t i1, float* out) {
  if constexpr (V > 1) {
    if (vectors < V) return spmm_dispatch<V - 1>(vectors, ptr, idx, val, in, ld, i0, i1, out);
  }
  spmm_chunk<V>(ptr, idx, val, in, ld, i0, i1, out);
}

// Lane j of the result = the lane sum of s[j], as ((0+1)+(2+3))+((4+5)+(6+7)).
__m256 reduce8(const __m256* s) {
  const __m256 h0 = _mm256_hadd_ps(s[0], s[1]), h1 = _mm256_hadd_ps(s[2], s[3]);
  const __m256 h2 = _mm256_hadd_ps(s[4], s[5]), h3 = _mm256_hadd_ps(s[6], s[7]);
  const __m256 q0 = _mm256_hadd_ps(h0, h1), q1 = _mm256_hadd_ps(h2, h3);
  return _mm256_add_ps(_mm256_permute2f128_ps(q0, q1, 0x20), _mm256_permute2f128_ps(q0, q1, 0x31));
}

}  // namespace

void spmm_rows_avx2(const int32_t* ptr, const int32_t* idx, const float* val, const float* in, int64_t ld,
                    int64_t len, int64_t i0, int64_t i1, float* out) {
  for (int64_t m0 = 0; m0 < len; m0 += 8 * kMaxVectors) {
    const int vectors = static_cast<int>(std::min<int64_t>(kMaxVectors, (len - m0) / 8));
    spmm_dispatch<kMaxVectors>(vectors, ptr, idx, val, in + m0, ld, i0, i1, out + m0);
  }
}

void sddmm_rows_avx2(const int32_t* ptr, const int32_t* idx, const float* a, const float* b, int64_t ld,
                     int64_t len, int64_t i0, int64_t i1, float* dw) {
  for (int64_t i = i0; i < i1; ++i) {
    const float* ar = a + i * ld;
    int32_t e = ptr[i];
    for (; e + 8 <= ptr[i + 1]; e += 8) {
      const float* br[8];
      __m256 s[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        br[j] = b + int64_t{idx[e + j]} * ld;
        s[j] = _mm256_setzero_ps();
      }
      for (int64_t m = 0; m < len; m += 8) {
        const __m256 x = _mm256_loadu_ps(ar + m);
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) s[j] = _mm256_fmadd_ps(x, _mm256_loadu_ps(br[j] + m), s[j]);
      }
      _mm256_storeu_ps(dw + e, reduce8(s));
    }
    for (; e < ptr[i + 1]; ++e) {
      const float* br = b + int64_t{idx[e]} * ld;
      __m256 s = _mm256_setzero_ps();
      for (int64_t m = 0; m < len; m += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(ar + m), _mm256_loadu_ps(br + m), s);
      alignas(32) float v[8];
      _mm256_store_ps(v, s);
      dw[e] = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
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

void transpose_back_avx2(const float* T, int64_t rows, int64_t ldt, int64_t c0, int64_t c1, float* Y, int64_t ldy) {
  int64_t c = c0;
  for (; c + 8 <= c1; c += 8) {
    int64_t r = 0;
    for (; r + 8 <= rows; r += 8) transpose8x8_avx2(T + r * ldt + c, ldt, Y + c * ldy + r, ldy);
    for (int64_t cc = c; cc < c + 8; ++cc)
      for (int64_t rr = r; rr < rows; ++rr) Y[cc * ldy + rr] = T[rr * ldt + cc];
  }
  transpose_back_portable(T, rows, ldt, c, c1, Y, ldy);
}

}  // namespace bitblock::kernels::detail
