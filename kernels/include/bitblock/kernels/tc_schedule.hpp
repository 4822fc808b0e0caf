#pragma once
// Work schedules and shared-memory addressing of the tensor-core kernels (cuda_tc.hpp), as
// host/device functions so that CPU tests can walk them: every output covered exactly once, every
// ldmatrix address the one the MMA fragment tables (mma_fragments.hpp) need.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/mma_fragments.hpp"

namespace bitblock::kernels {

// ---- Forward and input-gradient products ----------------------------------------------------
// out[M x slots * 8 * out_tiles] = A[M x ...] times the kept blocks of each slot (a block-row
// for the forward product, a block-column for the input gradient). A CTA owns a batch tile of
// 16 * m_tiles rows of A, staged once in shared memory as bf16, and a panel of slots_per_cta
// consecutive slots; its warps take the panel's items (slot, group of `group` output tiles) in
// turn: warp w runs items w, w + warps, ... Each item walks its slot's kept blocks with the A
// fragments of its m_tiles MMA row tiles and writes its outputs once. Many slots per CTA is the
// reuse: one staged batch tile serves every kept block of the panel.
struct TcItem {
  int64_t slot;  // >= slots: nothing to do
  int first_tile, tiles;
};

struct TcProductSchedule {
  int64_t rows = 0;  // batch rows M
  int m_tiles = 1;   // 16-row MMA tiles per item
  int64_t slots = 0;
  int out_tiles = 1;  // 8-wide output tiles per slot
  int group = 1;      // output tiles per item
  int64_t slots_per_cta = 1;
  int warps = 8;

  BITBLOCK_HD int batch_rows() const { return 16 * m_tiles; }
  BITBLOCK_HD int64_t batch_tiles() const { return (rows + batch_rows() - 1) / batch_rows(); }
  BITBLOCK_HD int64_t panels() const { return (slots + slots_per_cta - 1) / slots_per_cta; }
  BITBLOCK_HD int64_t ctas() const { return batch_tiles() * panels(); }
  BITBLOCK_HD int groups_per_slot() const { return (out_tiles + group - 1) / group; }
  BITBLOCK_HD int64_t items_per_cta() const { return slots_per_cta * groups_per_slot(); }
  // Consecutive CTAs share a batch tile (the same rows of A in L2) and walk the panels.
  BITBLOCK_HD int64_t cta_batch_tile(int64_t cta) const { return cta / panels(); }
  BITBLOCK_HD int64_t cta_panel(int64_t cta) const { return cta % panels(); }
  BITBLOCK_HD TcItem item(int64_t cta, int64_t q) const {
    const int g = groups_per_slot();
    const int64_t slot = cta_panel(cta) * slots_per_cta + q / g;
    const int first = static_cast<int>(q % g) * group;
    const int left = out_tiles - first;
    return {slot, first, slot < slots ? (left < group ? left : group) : 0};
  }
};

// Panels sized so that batch tiles x panels fills sm_count * ctas_per_sm CTAs while each CTA
// keeps at least `warps` items (all of its warps busy).
TcProductSchedule tc_product_schedule(int64_t M, int64_t slots, int out_tiles, int m_tiles, int group, int warps,
                                      int sm_count, int ctas_per_sm);

// Staged batch tile: bf16 rows of tc_stage_stride(cols) elements. The row stride in bytes is an
// odd multiple of 16, so the 8 row addresses of one ldmatrix matrix fall in 8 different 16-byte
// bank groups (no bank conflicts); every 8-column tile starts 16-byte aligned.
BITBLOCK_HD int64_t tc_stage_stride(int64_t cols) { return (cols + 63) / 64 * 64 + 8; }

// ldmatrix.x4 addresses, as (row, 16-bit column) of a row-major shared-memory tile, for an
// m16n8k16 A operand whose K halves are the 8 columns at col_lo and col_hi: matrices 0..3 =
// (rows 0-7, col_lo), (rows 8-15, col_lo), (rows 0-7, col_hi), (rows 8-15, col_hi), which
// without .trans are registers a0..a3 (A row = tile row, A column = tile column). Also the b1
// A operand: 16 rows of 256 bits, col_lo = 0 and col_hi = 8 (16-bit units), registers a0..a3.
BITBLOCK_HD mma::FragPos ldmatrix_a_address(int lane, int row0, int col_lo, int col_hi) {
  const int j = lane >> 3, i = lane & 7;
  return {row0 + i + (j & 1) * 8, (j >> 1) ? col_hi : col_lo};
}
// ldmatrix.x4 addresses with the column halves first: matrices (rows 0-7, col_lo), (rows 0-7,
// col_hi), (rows 8-15, col_lo), (rows 8-15, col_hi). With .trans over a tile stored [k][n] this is
// the m16n8k16 A operand of the weight gradient, A = X^T (A row = c-tile column, A k = batch row):
// col_lo / col_hi are the two c-tiles, rows 0-15 the batch rows. Without .trans over b1 rows of
// B^T (n x 256 bits) it is the B operand of two n8 tiles: registers b0, b1 of rows 0-7 then of 8-15.
BITBLOCK_HD mma::FragPos ldmatrix_pairs_address(int lane, int row0, int col_lo, int col_hi) {
  const int j = lane >> 3, i = lane & 7;
  return {row0 + i + (j >> 1) * 8, (j & 1) ? col_hi : col_lo};
}
// ldmatrix.x2.trans addresses for the weight gradient's B operand (B[k = batch row][n = block
// row], stored [batch row][block row]): rows row0 + 0..15 of the 8 columns at col (lanes 16-31
// repeat lanes 0-15; x2 ignores them).
BITBLOCK_HD mma::FragPos ldmatrix_bt_address(int lane, int row0, int col) {
  return {row0 + (lane & 15), col};
}

// ---- Weight gradient (SDDMM over the kept blocks) -------------------------------------------
// dW of kept block b = dY[:, block-row rows]^T X[:, block-column columns], summed over the batch.
// The kept blocks are grouped by rectangles of block-rows x block-columns; a CTA (unit) stages
// the batch rows of its rectangle's X columns and dY columns, 32 rows at a time, and its warps
// accumulate up to `items_per_warp` m16n8k16 output tiles each over the whole batch. An item is
// one r-tile (8 block rows) of one block-row against two c-tiles (8 block columns each) of kept
// blocks of that block-row, C rows 0-7 = c-tile 0, C rows 8-15 = c-tile 1, C columns = the 8 rows.
// A rectangle holds kept blocks of many block-rows and block-columns, so one staged column of X
// serves every kept block of its block-column in the rectangle, and likewise for dY.
struct WgradItem {
  int32_t x_col[2];  // first staged X column of each c-tile (x_col[1] = x_col[0] when there is none)
  int32_t d_col;     // first staged dY column of the r-tile
  int32_t out[2];    // dW index of weight (row 0 of the r-tile, column 0 of the c-tile); out[1] = -1: none
  int32_t n0;        // output row n of row 0 of the r-tile
  int32_t k0[2];     // input column k of column 0 of each c-tile
};
struct WgradUnit {
  int32_t block_row_begin, block_row_end, block_col_begin, block_col_end;
  int32_t item_begin, item_end;
};
constexpr int kWgradRows = 32;  // batch rows staged per step

struct WgradSchedule {
  int warps = 8, items_per_warp = 16;
  int64_t x_cols = 0, d_cols = 0;  // widest staged X / dY column range of any unit
  std::vector<WgradUnit> units;
  std::vector<WgradItem> items;
};
// Dynamic shared memory of a weight-gradient CTA: the staged X and dY rows (bf16) and the warps'
// item columns (one int4 per item).
inline size_t wgrad_smem_bytes(int64_t x_cols, int64_t d_cols, int warps, int items_per_warp) {
  return 2 * static_cast<size_t>(kWgradRows) * static_cast<size_t>(tc_stage_stride(x_cols) + tc_stage_stride(d_cols)) +
         16 * static_cast<size_t>(warps) * static_cast<size_t>(items_per_warp);
}
inline size_t wgrad_smem_bytes(const WgradSchedule& s) {
  return wgrad_smem_bytes(s.x_cols, s.d_cols, s.warps, s.items_per_warp);
}
// Rectangles sized for about one unit per multiprocessor, and shrunk until a unit's staged columns
// fit in smem_per_block bytes (the device's opt-in limit per CTA; very sparse wide layers would
// otherwise stage more than that). A single block's rectangle always fits for blocks up to 256.
// Throws InputError unless tc_blocks_supported or when dW indices do not fit int32.
WgradSchedule wgrad_schedule(const BsrLayout& layout, int sm_count, size_t smem_per_block);

// Batch splits of a weight-gradient launch: when the units alone leave multiprocessors idle
// (small layers, e.g. a convolution's few units), enough splits for about two CTAs per
// multiprocessor, at most kMaxWgradSplits, each split at least 4 steps of kWgradRows rows; else 1.
// Each split writes its partial sums to its own slice of a scratch array and a second kernel adds
// the slices in split order: no atomics, the same bits whatever order the CTAs run in. Split s
// covers batch rows [wgrad_split_begin(M, splits, s), wgrad_split_begin(M, splits, s + 1)).
constexpr int kMaxWgradSplits = 8;
BITBLOCK_HD int wgrad_batch_splits(int64_t units, int64_t M, int sm_count) {
  if (units <= 0) return 1;
  const int64_t want = (2 * int64_t{sm_count} + units - 1) / units;
  const int64_t steps = (M + kWgradRows - 1) / kWgradRows;
  int64_t splits = want < steps / 4 ? want : steps / 4;
  splits = splits < kMaxWgradSplits ? splits : kMaxWgradSplits;
  return splits < 1 ? 1 : static_cast<int>(splits);
}
BITBLOCK_HD int64_t wgrad_split_begin(int64_t M, int splits, int s) {
  const int64_t steps = (M + kWgradRows - 1) / kWgradRows;
  const int64_t begin = (steps * s + splits - 1) / splits * kWgradRows;
  return begin < M ? begin : M;
}

// C element i of lane `lane` of an item -> its dW index, and whether it lies inside the matrix
// (ragged positions are written as 0). -1 when the item has no second c-tile.
struct WgradTarget {
  int64_t index;
  bool in_matrix;
};
BITBLOCK_HD WgradTarget wgrad_target(const WgradItem& it, int lane, int i, int block_cols, int64_t rows,
                                     int64_t cols) {
  const mma::FragPos p = mma::m16n8_c(lane, i);  // row = c-tile column (+8: second c-tile), col = r
  const int half = p.row >> 3, c = p.row & 7, r = p.col;
  if (it.out[half] < 0) return {-1, false};
  const int64_t index = static_cast<int64_t>(it.out[half]) + static_cast<int64_t>(r) * block_cols + c;
  return {index, it.n0 + r < rows && it.k0[half] + c < cols};
}

// ---- Binary GEMMs (dense) ---------------------------------------------------------------------
// 128 x 128 output tiles per CTA, 8 warps of 64 x 32 (4 m16 x 4 n8 MMA tiles), K in stages of
// 256 bits (bits x bits) or 32 columns (float x binary) staged in shared memory.
constexpr int kBinTile = 128, kBinWarps = 8, kBinWarpRows = 64, kBinWarpCols = 32;
BITBLOCK_HD int bin_warp_row(int warp) { return (warp >> 2) * kBinWarpRows; }
BITBLOCK_HD int bin_warp_col(int warp) { return (warp & 3) * kBinWarpCols; }
// Staged bit rows: 32 bytes of a 256-bit stage plus 16 of padding, an odd multiple of 16 (no bank
// conflicts for ldmatrix or for 8 rows read at one word).
constexpr int kBinRowBytes = 48;

// bits x bits on the b1 AND-popc MMA: sum over k of a_k b_k for +-1 values (bit 1 = +1) from
// popcounts, K - 2 pop(a xor b) with pop(a xor b) = pop(a) + pop(b) - 2 pop(a and b). Padding bits
// are 0 in both operands, so they count in none of the three.
BITBLOCK_HD int32_t xnor_dot_from_and(int64_t K, int32_t pop_a, int32_t pop_b, int32_t pop_and) {
  return static_cast<int32_t>(K) - 2 * pop_a - 2 * pop_b + 4 * pop_and;
}
// bits x bits on the s8 MMA: register `half` of lane t's m16n8k32 operand (A registers 0/1 and
// 2/3, B registers 0 and 1) from the 32-bit word of sign bits holding k = 0..31 of the step: k
// 4t .. 4t+3 (half 0) or 16 + 4t .. (half 1), as +-1 bytes. Zero (padding) bits become -1 in
// both operands, adding +1 per padding position to every output: the kernel subtracts them.
BITBLOCK_HD uint32_t sign_word_s8_operand(uint32_t word, int t, int half) {
  return binary_codes_s8x4(word >> (4 * t + 16 * half));
}
// float x binary on the bf16 MMA: the pair field of lane t's B register `half` for k16 step `ks`
// of a 32-bit word of sign bits (k 16 ks + 8 half + 2t and + 1), expanded by Bf16PairExpander(1).
BITBLOCK_HD uint32_t sign_word_pair_field(uint32_t word, int ks, int t, int half) {
  return (word >> (16 * ks + 8 * half + 2 * t)) & 3u;
}

}  // namespace bitblock::kernels
