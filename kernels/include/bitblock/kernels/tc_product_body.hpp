#pragma once
// The body of the tensor-core forward and input-gradient product over k-bit packed kept blocks
// (kernels/bsgemm/cuda_tc.cu), written once over the thread-operations policy of
// tc_binary_body.hpp, plus ldmatrix_x2, mma_bf16_m16n8k8(float (&d)[4], uint32_t a0, uint32_t a1,
// uint32_t b0), int threads() (blockDim.x), prefetch_l1(const void*) and code_pairs(int bits) (an
// object whose expand<kWide>(field) is the bf16x2 B operand of a k-bit code pair field,
// bsr_tiles.hpp). One body for both products: the forward walks block-rows (CSR) and reduces over
// the blocks' columns, the input gradient walks block-columns (CSC) and reduces over their rows,
// reading the transposed tile stream.
#include <cstdint>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/tc_binary_body.hpp"  // BITBLOCK_UNROLL
#include "bitblock/kernels/tc_schedule.hpp"

#if defined(__CUDA_ARCH__)
#define BITBLOCK_UNROLL_4 _Pragma("unroll 4")
#else
#define BITBLOCK_UNROLL_4
#endif

namespace bitblock::kernels::tc_body {

struct ProductArgs {
  const float* A;  // X (forward) or dY (input gradient), M x a_cols, leading dimension lda
  int64_t M, lda, a_cols;
  const int32_t* ptr;       // slot -> first list entry (CSR or CSC pointers)
  const int32_t* other;     // entry -> block-column (forward) or block-row (input gradient)
  const int32_t* block_id;  // entry -> kept block (input gradient only)
  const float* scales;      // row scales: of the outputs (forward) or of dY's columns (input gradient)
  const uint32_t* tiles;    // forward or transposed tile stream
  int bits, tiles_r, tiles_c;
  int depth;             // block extent along the reduction (block_cols or block_rows)
  int reduce_cols;       // staged columns: other slots * depth
  int stride;            // staged row stride in bf16 elements
  float* out;
  int64_t ldo, out_cols;
  TcProductSchedule s;
  bool vec_a, vec_out;  // 16-byte loads of A rows, 8-byte stores of output pairs
};

// Columns staged per batch row: every slot of the other kind, whole blocks.
inline int64_t product_reduce_cols(const BsrLayout& l, bool transposed) {
  return transposed ? l.num_block_rows() * l.block_rows : l.num_block_cols() * l.block_cols;
}

// The arguments of a product over layout l with `bits`-bit codes (the schedule s is the
// launcher's). ptr / other / block_id: the CSR lists (forward: block_row_ptr, block_col_idx, none)
// or the CSC lists (input gradient: column pointers, block-rows, block numbers).
inline ProductArgs product_args(const BsrLayout& l, int bits, bool transposed, const float* A, int64_t M, int64_t lda,
                                const int32_t* ptr, const int32_t* other, const int32_t* block_id, const float* scales,
                                const uint32_t* tiles, float* out, int64_t ldo) {
  ProductArgs a{};
  a.A = A;
  a.M = M;
  a.lda = lda;
  a.a_cols = transposed ? l.rows : l.cols;
  a.ptr = ptr;
  a.other = other;
  a.block_id = block_id;
  a.scales = scales;
  a.tiles = tiles;
  a.bits = bits;
  a.tiles_r = l.block_rows / kTile;
  a.tiles_c = l.block_cols / kTile;
  a.depth = transposed ? l.block_rows : l.block_cols;
  a.reduce_cols = static_cast<int>(product_reduce_cols(l, transposed));
  a.stride = static_cast<int>(tc_stage_stride(a.reduce_cols));
  a.out = out;
  a.ldo = ldo;
  a.out_cols = transposed ? l.cols : l.rows;
  a.vec_a = lda % 4 == 0 && reinterpret_cast<uintptr_t>(A) % 16 == 0;
  a.vec_out = ldo % 2 == 0 && reinterpret_cast<uintptr_t>(out) % 8 == 0;
  return a;
}

// Shared memory of a CTA: its batch tile of 16 m_tiles rows as bf16.
inline int64_t product_smem_bytes(const ProductArgs& a, int m_tiles) { return int64_t{16} * m_tiles * a.stride * 2; }

// The CTA's batch tile of A (times the column scales in the input gradient) as bf16, zero past the
// matrix: 4 columns per thread and step, coalesced along the rows.
template <bool kTransposed, class T>
BITBLOCK_HD void stage_batch_tile(const T& th, const ProductArgs& a, unsigned char* stage, int64_t m_base, int rows) {
  const int quads = a.reduce_cols / 4;
  BITBLOCK_UNROLL_4
  for (int idx = th.thread(); idx < rows * quads; idx += th.threads()) {
    const int r = idx / quads;
    const int c = (idx - r * quads) * 4;
    const int64_t m = m_base + r;
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (m < a.M) {
      const float* src = a.A + m * a.lda + c;
      if (a.vec_a && c + 4 <= a.a_cols) {
        th.load4(src, v);
      } else {
        for (int j = 0; j < 4; ++j) v[j] = c + j < a.a_cols ? th.load(src + j) : 0.0f;
      }
      if (kTransposed) {
        for (int j = 0; j < 4; ++j) v[j] = c + j < a.a_cols ? v[j] * th.load(a.scales + c + j) : 0.0f;
      }
    }
    th.store_shared_8(stage + 2 * (static_cast<int64_t>(r) * a.stride + c), th.bf16x2(v[0], v[1]),
                      th.bf16x2(v[2], v[3]));
  }
}

// One m16n8k16 (both halves of K) or, for a lone last reduction tile, m16n8k8 step of an item:
// A fragments by ldmatrix from the staged tile, B fragments expanded from the lanes' code fields.
template <int kMT, int kNT, bool kWide, class T, class Operand>
BITBLOCK_HD void product_step(const T& th, float (&acc)[kMT][kNT][4], const unsigned char* stage, int stride, int lane,
                              int tiles, const uint32_t* code_tiles, const LaneField& field, const Operand& operand,
                              int per_out, int col0, int words0, int col1, int words1, bool pair) {
  uint32_t bfrag[kNT][2];
  BITBLOCK_UNROLL
  for (int o = 0; o < kNT; ++o) {
    bfrag[o][0] = bfrag[o][1] = 0;
    if (o < tiles) {
      bfrag[o][0] = operand.template expand<kWide>(read_lane_field(code_tiles + words0 + o * per_out, field));
      if (pair) bfrag[o][1] = operand.template expand<kWide>(read_lane_field(code_tiles + words1 + o * per_out, field));
    }
  }
  BITBLOCK_UNROLL
  for (int mt = 0; mt < kMT; ++mt) {
    const mma::FragPos p = ldmatrix_a_address(lane, mt * 16, col0, col1);
    const unsigned char* row = stage + 2 * (p.row * stride + p.col);
    if (pair) {
      uint32_t afrag[4];
      th.ldmatrix_x4(afrag, row);
      BITBLOCK_UNROLL
      for (int o = 0; o < kNT; ++o) {
        if (o < tiles) th.mma_bf16_m16n8k16(acc[mt][o], afrag, bfrag[o][0], bfrag[o][1]);
      }
    } else {
      uint32_t afrag[2];
      th.ldmatrix_x2(afrag, row);
      BITBLOCK_UNROLL
      for (int o = 0; o < kNT; ++o) {
        if (o < tiles) th.mma_bf16_m16n8k8(acc[mt][o], afrag[0], afrag[1], bfrag[o][0]);
      }
    }
  }
}

// kMT: 16-row MMA tiles per item (the CTA's batch tile is 16 kMT rows); kNT: output tiles per
// item; kWide: 8-bit codes (converted through float, see CodePairOperand).
template <bool kTransposed, int kMT, int kNT, bool kWide, class T>
BITBLOCK_HD void product_tile(const T& th, const ProductArgs& a) {
  unsigned char* const stage = th.smem();
  const int64_t cta = th.block_x();
  const int64_t m_base = a.s.cta_batch_tile(cta) * (16 * kMT);
  stage_batch_tile<kTransposed>(th, a, stage, m_base, 16 * kMT);
  th.sync();

  const int lane = th.thread() & 31, warp = th.thread() >> 5, warps = th.threads() >> 5;
  const int tiles_in = a.depth / kTile, out_extent = a.s.out_tiles * kTile;
  const auto operand = th.code_pairs(a.bits);
  const LaneField field = lane_field(lane, a.bits);
  const ProductTileWords tw = product_tile_words(a.tiles_r, a.tiles_c, a.bits, kTransposed);
  for (int64_t q = warp; q < a.s.items_per_cta(); q += warps) {
    const TcItem it = a.s.item(cta, q);
    if (it.tiles == 0) continue;
    float acc[kMT][kNT][4] = {};
    const int32_t e0 = a.ptr[it.slot];
    const int total = (a.ptr[it.slot + 1] - e0) * tiles_in;  // reduction tiles of the slot
    const int out_words = it.first_tile * tw.per_out;
    for (int window = 0; window < total; window += 32) {
      // Lane l holds reduction tile window + l: its first staged column and the first word of
      // its code tile (for the item's first output tile). Tiles pair up in order, two per MMA.
      const int n = total - window < 32 ? total - window : 32;
      int my_col = 0, my_words = 0;
      if (lane < n) {
        const int kq = window + lane, e = e0 + kq / tiles_in, t = kq % tiles_in;
        my_col = th.load(a.other + e) * a.depth + t * kTile;
        const int block = kTransposed ? th.load(a.block_id + e) : e;
        my_words = block * tw.per_block + out_words + t * tw.per_in;
        th.prefetch_l1(a.tiles + my_words);  // the steps below read the codes lane by lane
      }
      for (int k = 0; k + 1 < n; k += 2) {
        const int col0 = th.shfl(my_col, k), words0 = th.shfl(my_words, k);
        const int col1 = th.shfl(my_col, k + 1), words1 = th.shfl(my_words, k + 1);
        product_step<kMT, kNT, kWide>(th, acc, stage, a.stride, lane, it.tiles, a.tiles, field, operand, tw.per_out,
                                      col0, words0, col1, words1, true);
      }
      if (n & 1) {
        const int col = th.shfl(my_col, n - 1), words = th.shfl(my_words, n - 1);
        product_step<kMT, kNT, kWide>(th, acc, stage, a.stride, lane, it.tiles, a.tiles, field, operand, tw.per_out,
                                      col, words, col, words, false);
      }
    }
    // C fragment: rows g and g + 8 of each MMA tile, output columns 2t and 2t + 1.
    const int g = lane >> 2, t = lane & 3;
    BITBLOCK_UNROLL
    for (int o = 0; o < kNT; ++o) {
      if (o >= it.tiles) continue;
      const int64_t n = it.slot * out_extent + (it.first_tile + o) * kTile + 2 * t;
      float s0 = 1.0f, s1 = 1.0f;
      if (!kTransposed) {
        s0 = n < a.out_cols ? th.load(a.scales + n) : 0.0f;
        s1 = n + 1 < a.out_cols ? th.load(a.scales + n + 1) : 0.0f;
      }
      BITBLOCK_UNROLL
      for (int mt = 0; mt < kMT; ++mt) {
        BITBLOCK_UNROLL
        for (int h = 0; h < 2; ++h) {
          const int64_t m = m_base + mt * 16 + g + 8 * h;
          if (m >= a.M) continue;
          const float v0 = acc[mt][o][2 * h] * s0, v1 = acc[mt][o][2 * h + 1] * s1;
          float* dst = a.out + m * a.ldo + n;
          if (a.vec_out && n + 1 < a.out_cols) {
            th.store2(dst, v0, v1);
          } else {
            if (n < a.out_cols) dst[0] = v0;
            if (n + 1 < a.out_cols) dst[1] = v1;
          }
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::tc_body
