// AVX2 panel engine: 6 rows of A x 16 outputs in 12 accumulators; per term one index load, two
// panel loads, six broadcasts and twelve FMAs (or xor + add for sign-flip panels).
#include <immintrin.h>

#include <algorithm>

#include "common/panel_gemm.hpp"

namespace bitblock::kernels::detail {
namespace {

template <int MR, int NV, bool kFlip>
void tile(const float* A, int64_t lda, const FloatPanel& p, int c, float* out, int64_t ldo, const float* scale) {
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  }
  // Loop invariants in locals so the accumulators can live in registers (no aliasing doubts).
  const float* t = p.term(c, 0);
  const int32_t* idx = p.idx.data();
  const int64_t len = p.len;
  const float* rows[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) rows[r] = A + r * lda;
  for (int64_t l = 0; l < len; ++l, t += NV * 8) {
    const int64_t k = idx[l];
    __m256 w[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) w[v] = _mm256_loadu_ps(t + 8 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 x = _mm256_broadcast_ss(rows[r] + k);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        acc[r][v] = kFlip ? _mm256_add_ps(acc[r][v], _mm256_xor_ps(x, w[v])) : _mm256_fmadd_ps(x, w[v], acc[r][v]);
      }
    }
  }
  // Spill the accumulators once, in a fully unrolled loop, so they stay in registers above.
  alignas(32) float buf[MR][16] = {};
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm256_store_ps(&buf[r][8 * v], acc[r][v]);
  }
  const int w = std::min(kPanelChunk, p.width - c * kPanelChunk);
  const int64_t col = p.out0 + c * kPanelChunk;
  for (int r = 0; r < MR; ++r) {
    float* o = out + r * ldo + col;
    if (scale) {
      for (int v = 0; v < w; ++v) o[v] = buf[r][v] * scale[col + v];
    } else {
      std::copy(buf[r], buf[r] + w, o);
    }
  }
}

template <int NV, bool kFlip>
void rows_tile(const float* A, int64_t rows, int64_t lda, const FloatPanel& p, int c, float* out, int64_t ldo,
               const float* scale) {
  int64_t m = 0;
  for (; m + 6 <= rows; m += 6) tile<6, NV, kFlip>(A + m * lda, lda, p, c, out + m * ldo, ldo, scale);
  const float* a = A + m * lda;
  float* o = out + m * ldo;
  switch (rows - m) {
    case 5: tile<5, NV, kFlip>(a, lda, p, c, o, ldo, scale); break;
    case 4: tile<4, NV, kFlip>(a, lda, p, c, o, ldo, scale); break;
    case 3: tile<3, NV, kFlip>(a, lda, p, c, o, ldo, scale); break;
    case 2: tile<2, NV, kFlip>(a, lda, p, c, o, ldo, scale); break;
    case 1: tile<1, NV, kFlip>(a, lda, p, c, o, ldo, scale); break;
    default: break;
  }
}

}  // namespace

void panel_rows_avx2(const float* A, int64_t rows, int64_t lda, const FloatPanel& p, float* out, int64_t ldo,
                     PanelOp op) {
  for (int c = 0; c < p.chunks(); ++c) {
    const bool wide = p.stride(c) == 16;
    if (op.sign_flip) {
      wide ? rows_tile<2, true>(A, rows, lda, p, c, out, ldo, op.scale)
           : rows_tile<1, true>(A, rows, lda, p, c, out, ldo, op.scale);
    } else {
      wide ? rows_tile<2, false>(A, rows, lda, p, c, out, ldo, op.scale)
           : rows_tile<1, false>(A, rows, lda, p, c, out, ldo, op.scale);
    }
  }
}

}  // namespace bitblock::kernels::detail
