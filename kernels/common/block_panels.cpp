#include "common/block_panels.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "bitblock/kernels/cpu_features.hpp"

namespace bitblock::kernels::detail {

void block_panel_tile_portable(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, float* dst,
                               int64_t ldd) {
  float acc[kTileRows * kTileOuts] = {};
  for (int32_t e = p.ptr[g]; e < p.ptr[g + 1]; ++e) {
    const int64_t b = p.block ? p.block[e] : e;
    const int64_t a0 = static_cast<int64_t>(p.pos[e]) * p.span;
    const int64_t n = std::min<int64_t>(p.span, p.a_cols - a0);
    const float* w = p.values + b * p.span * p.lanes + r0;
    const float* a = tile + a0 * kTileRows;
    for (int64_t t = 0; t < n; ++t, w += p.lanes, a += kTileRows) {
      for (int m = 0; m < kTileRows; ++m) {
        for (int o = 0; o < kTileOuts; ++o) acc[m * kTileOuts + o] += a[m] * w[o];
      }
    }
  }
  for (int m = 0; m < kTileRows; ++m) std::copy(acc + m * kTileOuts, acc + m * kTileOuts + outs, dst + m * ldd);
}

void pack_tile_portable(const float* A, int64_t M, int64_t lda, int64_t a_cols, int64_t t, float* packed) {
  for (int m = 0; m < kTileRows; ++m) {
    const int64_t row = t * kTileRows + m;
    if (row < M) {
      const float* a = A + row * lda;
      for (int64_t k = 0; k < a_cols; ++k) packed[k * kTileRows + m] = a[k];
    } else {
      for (int64_t k = 0; k < a_cols; ++k) packed[k * kTileRows + m] = 0.0f;
    }
  }
}

void run_block_panels(const float* A, int64_t M, int64_t lda, const BlockPanels& p, float* out, int64_t ldo) {
  const bool avx2 = active_isa() != Isa::Portable;
  const int64_t tiles = (M + kTileRows - 1) / kTileRows;
  const int64_t tile_floats = p.a_cols * kTileRows;
  std::unique_ptr<float[]> packed(new float[static_cast<size_t>(tiles * tile_floats)]);
  // Work per group: its terms (plus a constant for the stores) times its register tiles.
  std::vector<int64_t> work(static_cast<size_t>(p.groups + 1), 0);
  const int64_t reg_tiles = (p.group_width + kTileOuts - 1) / kTileOuts;
  for (int64_t g = 0; g < p.groups; ++g) work[g + 1] = work[g] + ((p.ptr[g + 1] - p.ptr[g]) * int64_t{p.span} + 4) * reg_tiles;
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      if (avx2) {
        pack_tile_avx2(A, M, lda, p.a_cols, t, packed.get() + t * tile_floats);
      } else {
        pack_tile_portable(A, M, lda, p.a_cols, t, packed.get() + t * tile_floats);
      }
    }
    // Each thread owns a contiguous run of groups with an equal share of the work, so every
    // output is computed by one thread in a fixed order.
    const int64_t th = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t total = work[static_cast<size_t>(p.groups)];
    const int64_t g0 = th == 0 ? 0 : std::lower_bound(work.begin(), work.end() - 1, total * th / nt) - work.begin();
    const int64_t g1 =
        th == nt - 1 ? p.groups : std::lower_bound(work.begin(), work.end() - 1, total * (th + 1) / nt) - work.begin();
    if (g0 < g1) {
      // The tile's outputs of this thread's groups are staged and copied out row by row:
      // storing short runs straight into rows a page apart would thrash one L1 set.
      const int64_t col0 = g0 * p.group_width, col1 = std::min(p.out_cols, g1 * p.group_width);
      std::vector<float> stage(static_cast<size_t>(kTileRows * (col1 - col0)));
      for (int64_t t = 0; t < tiles; ++t) {
        const float* tile = packed.get() + t * tile_floats;
        for (int64_t g = g0; g < g1; ++g) {
          const int width = static_cast<int>(std::min<int64_t>(p.group_width, p.out_cols - g * p.group_width));
          for (int r0 = 0; r0 < width; r0 += kTileOuts) {
            const int outs = std::min(kTileOuts, width - r0);
            float* s = stage.data() + (g * p.group_width - col0 + r0);
            if (avx2) {
              block_panel_tile_avx2(tile, p, g, r0, outs, s, col1 - col0);
            } else {
              block_panel_tile_portable(tile, p, g, r0, outs, s, col1 - col0);
            }
          }
        }
        const int rows = static_cast<int>(std::min<int64_t>(kTileRows, M - t * kTileRows));
        for (int m = 0; m < rows; ++m) {
          std::memcpy(out + (t * kTileRows + m) * ldo + col0, stage.data() + m * (col1 - col0),
                      static_cast<size_t>(col1 - col0) * sizeof(float));
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
