// AVX2 patch tiles (tile.hpp): 8 columns x 8 pixels per register transpose; ragged columns
// entry by entry.
#include "common/transpose8_avx2.hpp"
#include "patches/tile.hpp"

namespace bitblock::kernels::detail {

void patch_tile_gather_avx2(const float* src, const int64_t* off, int64_t width, float* rows, int64_t ld) {
  int64_t j = 0;
  for (; j + 8 <= width; j += 8) {
    __m256 v[8];
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) v[q] = _mm256_loadu_ps(src + off[j + q]);
    transpose8x8_registers(v);
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) _mm256_storeu_ps(rows + i * ld + j, v[i]);
  }
  for (; j < width; ++j)
    for (int i = 0; i < 8; ++i) rows[i * ld + j] = src[off[j] + i];
}

void patch_tile_scatter_avx2(const float* rows, int64_t ld, const int64_t* off, int64_t width, int64_t k,
                             int64_t skip, float* cols, float* dst) {
  // Lanes of skipped pixels hold +0.
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32(static_cast<int>(skip) - 1)));
  int64_t j = 0;
  for (; j + 8 <= width; j += 8) {
    __m256 v[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(rows + i * ld + j);
    transpose8x8_registers(v);
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) _mm256_storeu_ps(cols + (j + q) * 8, _mm256_and_ps(v[q], keep));
  }
  for (; j < width; ++j)
    for (int i = 0; i < 8; ++i) cols[j * 8 + i] = i < skip ? 0.0f : rows[i * ld + j];
  patch_tile_add(cols, off, width, k, dst);
}

}  // namespace bitblock::kernels::detail
