#pragma once
// Engine of the float block-sparse products (bsgemm forward and input gradient): one group of
// outputs per block-row (forward) or block-column (input gradient), whose terms are the kept
// blocks' columns (rows) as vectors over the group's outputs:
//   out[m][g * group_width + v] = sum over entries e of g, t < span: A[m][pos(e) * span + t] * term(e, t)[v].
// A is repacked in tiles of R rows interleaved (element (m, k) of a tile at k * R + m), so the
// batch runs along vector lanes: per term, R / lanes vector loads of A and one broadcast per
// output feed an outputs x R register tile (AVX2: 4 x 24, 12 FMAs for 7 loads; AVX-512: 8 x 32,
// 16 FMAs for 10 loads, twice the multiply-adds per instruction); dropped blocks cost nothing.
// Every output is one chain of FMAs over the terms in the same order on every path, so the
// AVX2 and AVX-512 paths give the same bits.
#include <cstdint>

namespace bitblock::kernels::detail {

constexpr int kTileRows = 24;  // portable and AVX2 tiles
constexpr int kTileOuts = 4;   // outputs per register tile
constexpr int kTileRowsAvx512 = 32;
constexpr int kTileOutsAvx512 = 8;

struct BlockPanels {
  int64_t groups = 0;
  int group_width = 0;             // outputs per group; the last group may be ragged
  int64_t out_cols = 0;            // outputs in all
  int lanes = 8;                   // floats per term: group_width rounded up to 8
  int span = 0;                    // terms (A columns) per entry; the last block along A may be ragged
  int64_t a_cols = 0;              // columns of A
  const int32_t* ptr = nullptr;    // groups + 1: entries of group g are ptr[g] .. ptr[g+1]
  const int32_t* block = nullptr;  // entry -> kept block; null: entry e is block e
  const int32_t* pos = nullptr;    // entry -> block index along A
  const float* values = nullptr;   // kept block b: span terms of `lanes` floats at values + b * span * lanes
};

// out (M x out_cols, row stride ldo) overwritten. OpenMP over batch rows (results do not depend
// on the thread count).
void run_block_panels(const float* A, int64_t M, int64_t lda, const BlockPanels& p, float* out, int64_t ldo);

// dst[m * ldd + o] = out row m of the tile, output lane r0 + o of group g, for m < the tile's
// rows, o < outs (outs <= the path's outputs per tile). The SIMD versions compute only the
// 8-row vectors holding the tile's first `rows` rows and write no row of dst past them.
void block_panel_tile_portable(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, float* dst,
                               int64_t ldd);
void block_panel_tile_avx2(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, int rows,
                           float* dst, int64_t ldd);
void block_panel_tile_avx512(const float* tile, const BlockPanels& p, int64_t g, int r0, int outs, int rows,
                             float* dst, int64_t ldd);
// A's first tile_rows rows (those past M zero) -> packed (a_cols x tile_rows).
void pack_tile_portable(const float* A, int64_t M, int64_t lda, int64_t a_cols, int tile_rows, float* packed);
// The same for the AVX2 (kTileRows) and AVX-512 (kTileRowsAvx512) tiles.
void pack_tile_avx2(const float* A, int64_t M, int64_t lda, int64_t a_cols, float* packed);
void pack_tile_avx512(const float* A, int64_t M, int64_t lda, int64_t a_cols, float* packed);

}  // namespace bitblock::kernels::detail
