// AVX2 weight-gradient block kernel: a tile of block rows x 8 or 16 columns in registers, one
// activation row load and one broadcast per block row per m.
#include <immintrin.h>

#include "bsgemm/float_avx2.hpp"

namespace bitblock::kernels::detail {
namespace {

inline __m256i lane_mask(int valid) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), lanes);
}

template <int RR, int NV>
void tile(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows, int nc, float* dWb, int ldw) {
  __m256i mask[NV];
  #pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) mask[v] = lane_mask(nc - 8 * v);
  __m256 acc[RR][NV];
  #pragma GCC unroll 8
  for (int r = 0; r < RR; ++r) {
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_maskload_ps(dWb + r * ldw + 8 * v, mask[v]);
  }
  for (int64_t m = 0; m < rows; ++m) {
    __m256 x[NV];
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) x[v] = _mm256_maskload_ps(X + m * ldx + 8 * v, mask[v]);
    #pragma GCC unroll 8
    for (int r = 0; r < RR; ++r) {
      const __m256 g = _mm256_broadcast_ss(dY + m * lddy + r);
      #pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(g, x[v], acc[r][v]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < RR; ++r) {
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) _mm256_maskstore_ps(dWb + r * ldw + 8 * v, mask[v], acc[r][v]);
  }
}

template <int NV, int RMAX>
void rows_of(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows, int nr, int nc, float* dWb,
             int ldw) {
  int r = 0;
  for (; r + RMAX <= nr; r += RMAX) tile<RMAX, NV>(dY + r, lddy, X, ldx, rows, nc, dWb + r * ldw, ldw);
  const float* dy = dY + r;
  float* dw = dWb + r * ldw;
  switch (nr - r) {
    case 7: tile<7, NV>(dy, lddy, X, ldx, rows, nc, dw, ldw); break;
    case 6: tile<6, NV>(dy, lddy, X, ldx, rows, nc, dw, ldw); break;
    case 5: tile<5, NV>(dy, lddy, X, ldx, rows, nc, dw, ldw); break;
    case 4: tile<4, NV>(dy, lddy, X, ldx, rows, nc, dw, ldw); break;
    case 3: tile<3, NV>(dy, lddy, X, ldx, rows, nc, dw, ldw); break;
    case 2: tile<2, NV>(dy, lddy, X, ldx, rows, nc, dw, ldw); break;
    case 1: tile<1, NV>(dy, lddy, X, ldx, rows, nc, dw, ldw); break;
    default: break;
  }
}

}  // namespace

void sddmm_block_avx2(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows, int nr, int nc,
                      float* dWb, int ldw) {
  // Column strips of 16 (12 accumulators for 6 rows) or a last strip of 8 (8 rows at a time).
  for (int c = 0; c < nc; c += 16) {
    const int w = nc - c < 16 ? nc - c : 16;
    if (w > 8) {
      rows_of<2, 6>(dY, lddy, X + c, ldx, rows, nr, w, dWb + c, ldw);
    } else {
      rows_of<1, 8>(dY, lddy, X + c, ldx, rows, nr, w, dWb + c, ldw);
    }
  }
}

}  // namespace bitblock::kernels::detail
