// AVX2 block-panel tile: 4 outputs x 24 batch rows in 12 accumulators; per term three vector
// loads of packed A and four weight broadcasts feed twelve FMAs. A tile holding fewer rows runs
// only the vectors it needs (8 or 16 rows), so a short last tile costs what it holds.
#include <immintrin.h>

#include <algorithm>

#include "common/block_panels.hpp"
#include "common/transpose8_avx2.hpp"

namespace bitblock::kernels::detail {

static_assert(kTileRows == 24 && kTileOuts == 4, "the AVX2 tile is 4 outputs x 3 vectors");

namespace {
template <int V>  // vectors of 8 batch rows
void tile_rows(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, float* dst, int64_t ldd) {
  __m256 s[4][V];
#pragma GCC unroll 4
  for (auto& row : s) {
#pragma GCC unroll 3
    for (auto& x : row) x = _mm256_setzero_ps();
  }
  const int64_t span = p.span, lanes = p.lanes, a_cols = p.a_cols;
  const float* values = p.values + r0;
  for (int32_t e = p.ptr[g]; e < p.ptr[g + 1]; ++e) {
    const int64_t b = p.block ? p.block[e] : e;
    const int64_t a0 = static_cast<int64_t>(p.pos[e]) * span;
    const int64_t n = std::min(span, a_cols - a0);
    const float* w = values + b * span * lanes;
    const float* a = tile + a0 * kTileRows;
    for (int64_t t = 0; t < n; ++t, w += lanes, a += kTileRows) {
      __m256 x[V];
#pragma GCC unroll 3
      for (int v = 0; v < V; ++v) x[v] = _mm256_loadu_ps(a + 8 * v);
#pragma GCC unroll 4
      for (int o = 0; o < 4; ++o) {
        const __m256 wv = _mm256_broadcast_ss(w + o);
#pragma GCC unroll 3
        for (int v = 0; v < V; ++v) s[o][v] = _mm256_fmadd_ps(wv, x[v], s[o][v]);
      }
    }
  }
  // 4 outputs x 8 rows per vector triple -> 8 rows of 4 outputs.
  alignas(32) float rows[8 * 4];
#pragma GCC unroll 3
  for (int v = 0; v < V; ++v) {
    const __m256 t0 = _mm256_unpacklo_ps(s[0][v], s[1][v]), t1 = _mm256_unpackhi_ps(s[0][v], s[1][v]);
    const __m256 t2 = _mm256_unpacklo_ps(s[2][v], s[3][v]), t3 = _mm256_unpackhi_ps(s[2][v], s[3][v]);
    const __m256 c04 = _mm256_shuffle_ps(t0, t2, 0x44), c15 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 c26 = _mm256_shuffle_ps(t1, t3, 0x44), c37 = _mm256_shuffle_ps(t1, t3, 0xee);
    float* d = dst + v * 8 * ldd;
    if (outs == 4) {
      _mm_storeu_ps(d, _mm256_castps256_ps128(c04));
      _mm_storeu_ps(d + ldd, _mm256_castps256_ps128(c15));
      _mm_storeu_ps(d + 2 * ldd, _mm256_castps256_ps128(c26));
      _mm_storeu_ps(d + 3 * ldd, _mm256_castps256_ps128(c37));
      _mm_storeu_ps(d + 4 * ldd, _mm256_extractf128_ps(c04, 1));
      _mm_storeu_ps(d + 5 * ldd, _mm256_extractf128_ps(c15, 1));
      _mm_storeu_ps(d + 6 * ldd, _mm256_extractf128_ps(c26, 1));
      _mm_storeu_ps(d + 7 * ldd, _mm256_extractf128_ps(c37, 1));
    } else {
      _mm256_store_ps(rows, _mm256_permute2f128_ps(c04, c15, 0x20));
      _mm256_store_ps(rows + 8, _mm256_permute2f128_ps(c26, c37, 0x20));
      _mm256_store_ps(rows + 16, _mm256_permute2f128_ps(c04, c15, 0x31));
      _mm256_store_ps(rows + 24, _mm256_permute2f128_ps(c26, c37, 0x31));
      for (int m = 0; m < 8; ++m) std::copy(rows + m * 4, rows + m * 4 + outs, d + m * ldd);
    }
  }
}
}  // namespace

void block_panel_tile_avx2(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, int rows,
                           float* dst, int64_t ldd) {
  switch ((rows + 7) / 8) {
    case 1: tile_rows<1>(tile, p, g, r0, outs, dst, ldd); break;
    case 2: tile_rows<2>(tile, p, g, r0, outs, dst, ldd); break;
    default: tile_rows<3>(tile, p, g, r0, outs, dst, ldd); break;
  }
}

void pack_tile_avx2(const float* A, int64_t M, int64_t lda, int64_t a_cols, float* packed) {
  if (M < kTileRows) {
    pack_tile_portable(A, M, lda, a_cols, kTileRows, packed);
    return;
  }
  // 8 x 8 sub-blocks: eight rows of eight columns become eight runs of eight.
  int64_t k = 0;
  for (; k + 8 <= a_cols; k += 8) {
#pragma GCC unroll 3
    for (int m = 0; m < kTileRows; m += 8) {
      transpose8x8_avx2(A + m * lda + k, lda, packed + k * kTileRows + m, kTileRows);
    }
  }
  for (; k < a_cols; ++k) {
    for (int m = 0; m < kTileRows; ++m) packed[k * kTileRows + m] = A[m * lda + k];
  }
}

}  // namespace bitblock::kernels::detail
