// AVX-512 block-panel tile: 8 outputs x 32 batch rows in 16 accumulators; per term two vector
// loads of packed A and eight weight broadcasts feed sixteen FMAs, twice the multiply-adds per
// instruction of the AVX2 tile. Each output is the same FMA chain as on the AVX2 path (same
// operands, same order), so both paths give the same bits.
#include <immintrin.h>

#include <algorithm>

#include "common/block_panels.hpp"
#include "common/transpose8_avx2.hpp"

namespace bitblock::kernels::detail {

static_assert(kTileRowsAvx512 == 32 && kTileOutsAvx512 == 8, "the AVX-512 tile is 8 outputs x 2 vectors");

namespace {
template <int V>  // vectors of 16 batch rows
void tile_rows(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, int rows, float* dst,
               int64_t ldd) {
  __m512 s[8][V];
#pragma GCC unroll 8
  for (auto& row : s) {
#pragma GCC unroll 2
    for (auto& x : row) x = _mm512_setzero_ps();
  }
  const int64_t span = p.span, lanes = p.lanes, a_cols = p.a_cols;
  const float* values = p.values + r0;
  for (int32_t e = p.ptr[g]; e < p.ptr[g + 1]; ++e) {
    const int64_t b = p.block ? p.block[e] : e;
    const int64_t a0 = static_cast<int64_t>(p.pos[e]) * span;
    const int64_t n = std::min(span, a_cols - a0);
    const float* w = values + b * span * lanes;
    const float* a = tile + a0 * kTileRowsAvx512;
    for (int64_t t = 0; t < n; ++t, w += lanes, a += kTileRowsAvx512) {
      __m512 x[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) x[v] = _mm512_loadu_ps(a + 16 * v);
#pragma GCC unroll 8
      for (int o = 0; o < 8; ++o) {
        const __m512 wv = _mm512_set1_ps(w[o]);
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) s[o][v] = _mm512_fmadd_ps(wv, x[v], s[o][v]);
      }
    }
  }
  // 8 outputs x 32 rows -> rows of 8 outputs, by 8 x 8 transposes of the accumulators.
  alignas(64) float acc[8 * kTileRowsAvx512];
#pragma GCC unroll 8
  for (int o = 0; o < 8; ++o) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) _mm512_store_ps(acc + o * kTileRowsAvx512 + 16 * v, s[o][v]);
  }
  alignas(32) float part[8 * 8];
  for (int m = 0; m < rows; m += 8) {
    if (outs == 8) {
      transpose8x8_avx2(acc + m, kTileRowsAvx512, dst + m * ldd, ldd);
    } else {
      transpose8x8_avx2(acc + m, kTileRowsAvx512, part, 8);
      for (int r = 0; r < 8; ++r) std::copy(part + r * 8, part + r * 8 + outs, dst + (m + r) * ldd);
    }
  }
}
}  // namespace

void block_panel_tile_avx512(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, int rows,
                             float* dst, int64_t ldd) {
  if (rows <= 16) {
    tile_rows<1>(tile, p, g, r0, outs, rows, dst, ldd);
  } else {
    tile_rows<2>(tile, p, g, r0, outs, rows, dst, ldd);
  }
}

void pack_tile_avx512(const float* A, int64_t M, int64_t lda, int64_t a_cols, float* packed) {
  constexpr int R = kTileRowsAvx512;
  if (M < R) {
    pack_tile_portable(A, M, lda, a_cols, R, packed);
    return;
  }
  int64_t k = 0;
  for (; k + 8 <= a_cols; k += 8) {
#pragma GCC unroll 4
    for (int m = 0; m < R; m += 8) transpose8x8_avx2(A + m * lda + k, lda, packed + k * R + m, R);
  }
  for (; k < a_cols; ++k) {
    for (int m = 0; m < R; ++m) packed[k * R + m] = A[m * lda + k];
  }
}

}  // namespace bitblock::kernels::detail
