#include "common/block_panels.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>

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

void pack_tile_portable(const float* A, int64_t M, int64_t lda, int64_t a_cols, int tile_rows, float* packed) {
  for (int m = 0; m < tile_rows; ++m) {
    if (m < M) {
      const float* a = A + m * lda;
      for (int64_t k = 0; k < a_cols; ++k) packed[k * tile_rows + m] = a[k];
    } else {
      for (int64_t k = 0; k < a_cols; ++k) packed[k * tile_rows + m] = 0.0f;
    }
  }
}

namespace {
// One CPU path's tile: its shape, packer and register tile.
struct PanelPath {
  int rows, outs;
  void (*pack)(const float* A, int64_t M, int64_t lda, int64_t a_cols, float* packed);
  void (*tile)(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, int rows, float* dst,
               int64_t ldd);
};

void pack_portable(const float* A, int64_t M, int64_t lda, int64_t a_cols, float* packed) {
  pack_tile_portable(A, M, lda, a_cols, kTileRows, packed);
}
void tile_portable(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, int, float* dst,
                   int64_t ldd) {
  block_panel_tile_portable(tile, p, g, r0, outs, dst, ldd);
}

PanelPath panel_path() {
  switch (active_isa()) {
    case Isa::Avx512: return {kTileRowsAvx512, kTileOutsAvx512, pack_tile_avx512, block_panel_tile_avx512};
    case Isa::Avx2: return {kTileRows, kTileOuts, pack_tile_avx2, block_panel_tile_avx2};
    case Isa::Portable: break;
  }
  return {kTileRows, kTileOuts, pack_portable, tile_portable};
}
}  // namespace

void run_block_panels(const float* A, int64_t M, int64_t lda, const BlockPanels& p, float* out, int64_t ldo) {
  const PanelPath path = panel_path();
  const int64_t tile_floats = p.a_cols * path.rows;
  // Threads take the batch rows in pieces of whole tiles, about four per thread, handed out as
  // they finish: a thread that a busy machine deschedules holds up only the piece it has, and
  // every output is computed by one thread with the same chain whoever takes it (same bits).
  const int64_t entries = p.ptr[p.groups];
  const bool parallel = M * entries * int64_t{p.span} * p.lanes > (int64_t{1} << 21);
  const int64_t nt = parallel ? omp_get_max_threads() : 1;
  const int64_t piece = std::max<int64_t>(1, (M + 4 * nt * path.rows - 1) / (4 * nt * path.rows)) * path.rows;
  const int64_t pieces = (M + piece - 1) / piece;
#pragma omp parallel if (parallel)
  {
    std::unique_ptr<float[]> tile(new float[static_cast<size_t>(tile_floats)]);
    std::unique_ptr<float[]> stage(new float[static_cast<size_t>(path.rows * p.out_cols)]);
#pragma omp for schedule(dynamic)
    for (int64_t k = 0; k < pieces; ++k) {
      const int64_t r1 = std::min(M, (k + 1) * piece);
      for (int64_t m = k * piece; m < r1; m += path.rows) {
        path.pack(A + m * lda, r1 - m, lda, p.a_cols, tile.get());
        const int rows = static_cast<int>(std::min<int64_t>(path.rows, r1 - m));
        for (int64_t g = 0; g < p.groups; ++g) {
          const int width = static_cast<int>(std::min<int64_t>(p.group_width, p.out_cols - g * p.group_width));
          for (int q = 0; q < width; q += path.outs) {
            path.tile(tile.get(), p, g, q, std::min(path.outs, width - q), rows, stage.get() + g * p.group_width + q,
                      p.out_cols);
          }
        }
        // Staged, then copied out row by row: short runs stored straight into rows a page apart
        // would thrash one L1 set.
        for (int r = 0; r < rows; ++r) {
          std::memcpy(out + (m + r) * ldo, stage.get() + r * p.out_cols,
                      static_cast<size_t>(p.out_cols) * sizeof(float));
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
