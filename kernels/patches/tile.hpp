#pragma once
// One tile of the patch loops: 8 patch rows (output pixels i = 0..7 of one image row, row stride
// ld) against the zero-padded image planes, where column j of pixel i is the plane entry at
// off[j] + i (stride 1), columns in runs of k taps (kx = 0..k-1). Gather copies. Scatter adds,
// each run's taps from the last to the first, so the terms of a plane entry come in pixel order
// (taps kx + 1 and kx of pixels i and i + 1 read the same entry); pixels i < skip are left out.
// Every ISA gives the same bits.
#include <cstdint>

namespace bitblock::kernels::detail {

// rows[i * ld + j] = src[off[j] + i] for i < 8, j < width.
void patch_tile_gather_portable(const float* src, const int64_t* off, int64_t width, float* rows, int64_t ld);
void patch_tile_gather_avx2(const float* src, const int64_t* off, int64_t width, float* rows, int64_t ld);
// dst[off[j] + i] += rows[i * ld + j] for skip <= i < 8, through cols (8 * width floats).
void patch_tile_scatter_portable(const float* rows, int64_t ld, const int64_t* off, int64_t width, int64_t k,
                                 int64_t skip, float* cols, float* dst);
void patch_tile_scatter_avx2(const float* rows, int64_t ld, const int64_t* off, int64_t width, int64_t k,
                             int64_t skip, float* cols, float* dst);

namespace {
// The adds of the scatter from its column buffer (cols[j * 8 + i]), compiled for each ISA's file.
// Tap by tap across the runs: consecutive adds touch different image rows, so an add does not
// wait for the store of the one before it (runs' neighbouring taps overlap by 7 floats).
inline void patch_tile_add(const float* cols, const int64_t* off, int64_t width, int64_t k, float* dst) {
  for (int64_t kx = k - 1; kx >= 0; --kx)
    for (int64_t j = kx; j < width; j += k) {
      float* d = dst + off[j];
      const float* v = cols + j * 8;
      for (int i = 0; i < 8; ++i) d[i] += v[i];
    }
}
}  // namespace

}  // namespace bitblock::kernels::detail
