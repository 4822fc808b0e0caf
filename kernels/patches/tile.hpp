#pragma once
// Eight patch rows <-> eight columns: the transposes between a strip of 8 patch rows (output
// pixels ox..ox+7 of one image row, row stride ld) and a column buffer cols[j * 8 + i] (entry j of
// pixel i), so that the patch loops move whole runs of 8 pixels, which are contiguous in the
// (padded) image. `width` is a multiple of 8. Pure copies: every ISA gives the same bits.
#include <cstdint>

namespace bitblock::kernels::detail {

void columns_to_rows8_portable(const float* cols, int64_t width, float* rows, int64_t ld);
void rows8_to_columns_portable(const float* rows, int64_t ld, int64_t width, float* cols);
void columns_to_rows8_avx2(const float* cols, int64_t width, float* rows, int64_t ld);
void rows8_to_columns_avx2(const float* rows, int64_t ld, int64_t width, float* cols);

}  // namespace bitblock::kernels::detail
