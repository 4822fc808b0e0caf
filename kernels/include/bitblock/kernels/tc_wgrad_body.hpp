#pragma once
// The body of the tensor-core weight gradient of the kept blocks (SDDMM, kernels/bsgemm/
// cuda_tc_wgrad.cu), written once over the thread-operations policy of tc_binary_body.hpp, plus
// ldmatrix_x4_trans / ldmatrix_x2_trans, store_shared_16(void*, int, int, int, int) and
// load_shared_16(const void*, int (&)[4]). One CTA per unit of the schedule (tc_schedule.hpp) and
// batch split (block_y; several splits: partial sums, summed in split order by a second kernel,
// no atomics); the unit's X and dY columns staged 32 batch rows at a time as bf16, each warp
// accumulating its items (m16n8k16 output tiles) over its batch rows in registers.
#include <cstdint>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/tc_binary_body.hpp"  // BITBLOCK_UNROLL
#include "bitblock/kernels/tc_schedule.hpp"

namespace bitblock::kernels::tc_body {

constexpr int kWgradItemsPerWarp = 16;

struct WgradArgs {
  const float* dY;
  int64_t M, lddy;
  const float* X;
  int64_t ldx;
  int64_t rows, cols;
  int block_rows, block_cols;
  const WgradUnit* units;
  const WgradItem* items;
  int xs_stride, ds_stride;  // staged row strides (bf16 elements)
  float* dW;
  float* partials;    // splits > 1: split s writes its partial sums at partials + s * elems
  int64_t elems;      // dW entries
  int splits;         // batch splits (block_y)
  bool vec_x, vec_d;  // 16-byte loads of X / dY rows
};

// The arguments of a weight gradient over layout l with schedule s (its units and items where the
// kernel reads them), `splits` batch splits writing partial sums to `partials` (splits > 1).
inline WgradArgs wgrad_args(const BsrLayout& l, const WgradSchedule& s, const float* dY, int64_t M, int64_t lddy,
                            const float* X, int64_t ldx, const WgradUnit* units, const WgradItem* items, float* dW,
                            float* partials, int splits) {
  WgradArgs a{};
  a.dY = dY;
  a.M = M;
  a.lddy = lddy;
  a.X = X;
  a.ldx = ldx;
  a.rows = l.rows;
  a.cols = l.cols;
  a.block_rows = l.block_rows;
  a.block_cols = l.block_cols;
  a.units = units;
  a.items = items;
  a.xs_stride = static_cast<int>(tc_stage_stride(s.x_cols));
  a.ds_stride = static_cast<int>(tc_stage_stride(s.d_cols));
  a.dW = dW;
  a.partials = partials;
  a.elems = l.kept_blocks() * l.block_elems();
  a.splits = splits;
  a.vec_x = ldx % 4 == 0 && reinterpret_cast<uintptr_t>(X) % 16 == 0;
  a.vec_d = lddy % 4 == 0 && reinterpret_cast<uintptr_t>(dY) % 16 == 0;
  return a;
}

// Rows m0 .. m0 + 31 of columns first .. first + width of src (zero past the batch or `limit`
// columns) as bf16 into dst (kWgradRows x stride).
template <class T>
BITBLOCK_HD void stage_rows(const T& th, const float* src, int64_t ld, int64_t M, int64_t m0, int64_t first, int width,
                            int64_t limit, bool vec, unsigned char* dst, int stride) {
  const int quads = width / 4;
  for (int idx = th.thread(); idx < kWgradRows * quads; idx += th.threads()) {
    const int r = idx / quads;
    const int c = (idx - r * quads) * 4;
    const int64_t m = m0 + r, k = first + c;
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (m < M) {
      const float* p = src + m * ld + k;
      if (vec && k + 4 <= limit) {
        th.load4(p, v);
      } else {
        for (int j = 0; j < 4; ++j) v[j] = k + j < limit ? th.load(p + j) : 0.0f;
      }
    }
    th.store_shared_8(dst + 2 * (r * stride + c), th.bf16x2(v[0], v[1]), th.bf16x2(v[2], v[3]));
  }
}

template <class T>
BITBLOCK_HD void wgrad_tile(const T& th, const WgradArgs& a) {
  unsigned char* const xs = th.smem();
  unsigned char* const ds = xs + 2 * kWgradRows * a.xs_stride;
  unsigned char* const cols = ds + 2 * kWgradRows * a.ds_stride;  // per item, 16 bytes: X columns, dY column
  const WgradUnit u = a.units[th.block_x()];
  const int lane = th.thread() & 31, warp = th.thread() >> 5;
  const int first = u.item_begin + warp * kWgradItemsPerWarp;
  const int left = u.item_end - first;
  const int n_items = left < 0 ? 0 : left < kWgradItemsPerWarp ? left : kWgradItemsPerWarp;
  for (int i = lane; i < n_items; i += 32) {
    const WgradItem& it = a.items[first + i];
    th.store_shared_16(cols + 16 * (warp * kWgradItemsPerWarp + i), it.x_col[0], it.x_col[1], it.d_col, 0);
  }
  const int64_t k_first = int64_t{u.block_col_begin} * a.block_cols;
  const int64_t n_first = int64_t{u.block_row_begin} * a.block_rows;
  const int x_width = (u.block_col_end - u.block_col_begin) * a.block_cols;
  const int d_width = (u.block_row_end - u.block_row_begin) * a.block_rows;
  float acc[kWgradItemsPerWarp][4] = {};
  const auto split = static_cast<int>(th.block_y());
  const int64_t m_end = wgrad_split_begin(a.M, a.splits, split + 1);
  for (int64_t m0 = wgrad_split_begin(a.M, a.splits, split); m0 < m_end; m0 += kWgradRows) {
    th.sync();  // the previous step's reads are done (and the item columns are written)
    stage_rows(th, a.X, a.ldx, m_end, m0, k_first, x_width, a.cols, a.vec_x, xs, a.xs_stride);
    stage_rows(th, a.dY, a.lddy, m_end, m0, n_first, d_width, a.rows, a.vec_d, ds, a.ds_stride);
    th.sync();
    BITBLOCK_UNROLL
    for (int it = 0; it < kWgradItemsPerWarp; ++it) {
      if (it >= n_items) break;
      int c[4];
      th.load_shared_16(cols + 16 * (warp * kWgradItemsPerWarp + it), c);
      BITBLOCK_UNROLL
      for (int ks = 0; ks < kWgradRows / 16; ++ks) {
        const mma::FragPos pa = ldmatrix_pairs_address(lane, ks * 16, c[0], c[1]);
        const mma::FragPos pb = ldmatrix_bt_address(lane, ks * 16, c[2]);
        uint32_t afrag[4], bfrag[2];
        th.ldmatrix_x4_trans(afrag, xs + 2 * (pa.row * a.xs_stride + pa.col));
        th.ldmatrix_x2_trans(bfrag, ds + 2 * (pb.row * a.ds_stride + pb.col));
        th.mma_bf16_m16n8k16(acc[it], afrag, bfrag[0], bfrag[1]);
      }
    }
  }
  BITBLOCK_UNROLL
  for (int it = 0; it < kWgradItemsPerWarp; ++it) {
    if (it >= n_items) break;
    const WgradItem item = a.items[first + it];
    BITBLOCK_UNROLL
    for (int i = 0; i < 4; ++i) {
      const WgradTarget t = wgrad_target(item, lane, i, a.block_cols, a.rows, a.cols);
      if (t.index < 0) continue;
      float* dst = a.splits == 1 ? a.dW : a.partials + split * a.elems;
      dst[t.index] = t.in_matrix ? acc[it][i] : 0.0f;
    }
  }
}

}  // namespace bitblock::kernels::tc_body
