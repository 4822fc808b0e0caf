// AVX2 transposes between 8 patch rows and their column buffer: 8 x 8 register tiles.
#include "common/transpose8_avx2.hpp"
#include "patches/tile.hpp"

namespace bitblock::kernels::detail {

void columns_to_rows8_avx2(const float* cols, int64_t width, float* rows, int64_t ld) {
  for (int64_t j = 0; j < width; j += 8) transpose8x8_avx2(cols + j * 8, 8, rows + j, ld);
}

void rows8_to_columns_avx2(const float* rows, int64_t ld, int64_t width, float* cols) {
  for (int64_t j = 0; j < width; j += 8) transpose8x8_avx2(rows + j, ld, cols + j * 8, 8);
}

}  // namespace bitblock::kernels::detail
