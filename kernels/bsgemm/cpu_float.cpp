// Float block-sparse GEMMs on the CPU: the forward and input-gradient products run the block
// panel engine on a plan's dequantized values; the kept-blocks-only weight gradient runs block
// rows over cache-sized batch chunks, one thread per run of kept blocks.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "bsgemm/plan_build.hpp"
#include "bsgemm/sddmm.hpp"
#include "common/block_panels.hpp"

namespace bitblock::kernels {

void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const BsrPlan& P, float* Y, int64_t ldy) {
  const BsrLayout& l = P.layout;
  detail::BlockPanels p;
  p.groups = l.num_block_rows();
  p.group_width = l.block_rows;
  p.out_cols = l.rows;
  p.lanes = P.fwd_lanes;
  p.span = l.block_cols;
  p.a_cols = l.cols;
  p.ptr = l.block_row_ptr.data();
  p.pos = l.block_col_idx.data();
  p.values = P.fwd.data();
  detail::run_block_panels(X, M, ldx, p, Y, ldy);
}

void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const BsrPlan& P, float* dX, int64_t lddx) {
  const BsrLayout& l = P.layout;
  detail::BlockPanels p;
  p.groups = l.num_block_cols();
  p.group_width = l.block_cols;
  p.out_cols = l.cols;
  p.lanes = P.bwd_lanes;
  p.span = l.block_rows;
  p.a_cols = l.rows;
  p.ptr = P.col_ptr.data();
  p.block = P.col_block.data();
  p.pos = P.col_row.data();
  p.values = P.bwd.data();
  detail::run_block_panels(dY, M, lddy, p, dX, lddx);
}

void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const BsrWeights& W, float* Y, int64_t ldy) {
  bsgemm_forward(X, M, ldx, detail::make_plan(W, true, false), Y, ldy);
}

void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const BsrWeights& W, float* dX,
                           int64_t lddx) {
  bsgemm_backward_input(dY, M, lddy, detail::make_plan(W, false, true), dX, lddx);
}

namespace {
void backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx, const BsrLayout& layout,
                     float* dW, bool add) {
  using RowFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, const BsrLayout&, int64_t, float*);
  RowFn row = detail::sddmm_row_portable;
  if (active_isa() == Isa::Avx512) row = detail::sddmm_row_avx512;
  if (active_isa() == Isa::Avx2) row = detail::sddmm_row_avx2;
  const int64_t nbr = layout.num_block_rows(), be = layout.block_elems();
  // Batch chunks whose rows of X (about 512 KiB) stay in L2 while the thread's block rows go by.
  // Each output continues its sum from chunk to chunk (sddmm.hpp), so the chunk size and the
  // thread count do not change the bits. A chunk's rows of dY and X are copied to row strides
  // that are not multiples of 4 KiB: a column of rows 16 KiB apart would fall into one L1 set.
  const int64_t chunk = std::max<int64_t>(8, (int64_t{128} << 10) / std::max<int64_t>(1, layout.cols));
  const int64_t ldxp = (layout.cols + 15) / 16 * 16 + 16, ldyp = (layout.rows + 15) / 16 * 16 + 16;
  if (M == 0) {
    if (!add) std::fill(dW, dW + layout.kept_blocks() * be, 0.0f);
    return;
  }
  const int64_t rows_max = std::min(chunk, M);
  std::vector<float> xp(static_cast<size_t>(rows_max * ldxp)), dyp(static_cast<size_t>(rows_max * ldyp));
  // Pieces: contiguous runs of block-rows with equal shares of kept blocks, about four per
  // thread, handed out as threads finish (a thread that a busy machine deschedules holds up only
  // its piece). The threads copy each chunk together, once.
  const auto& ptr = layout.block_row_ptr;
  const int64_t kept = layout.kept_blocks(), pieces = 4 * static_cast<int64_t>(omp_get_max_threads());
  auto piece_start = [&](int64_t k) {
    return k == pieces ? nbr : std::lower_bound(ptr.begin(), ptr.end() - 1, kept * k / pieces) - ptr.begin();
  };
#pragma omp parallel
  {
    for (int64_t m0 = 0; m0 < M; m0 += chunk) {
      const int64_t rows = std::min(chunk, M - m0);
#pragma omp for schedule(static)
      for (int64_t m = 0; m < rows; ++m) {
        std::copy_n(X + (m0 + m) * ldx, layout.cols, xp.data() + m * ldxp);
        std::copy_n(dY + (m0 + m) * lddy, layout.rows, dyp.data() + m * ldyp);
      }
      // The implicit barriers: every row is copied before any piece reads it, and every piece has
      // read the chunk before the next one overwrites it.
#pragma omp for schedule(dynamic)
      for (int64_t k = 0; k < pieces; ++k) {
        const int64_t i0 = k == 0 ? 0 : piece_start(k), i1 = piece_start(k + 1);
        if (i0 >= i1) continue;
        if (!add && m0 == 0) std::fill(dW + ptr[i0] * be, dW + ptr[i1] * be, 0.0f);
        for (int64_t i = i0; i < i1; ++i) row(dyp.data(), ldyp, xp.data(), ldxp, rows, layout, i, dW);
      }
    }
  }
}
}  // namespace

void bsgemm_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                            const BsrLayout& layout, float* dW) {
  backward_weight(dY, M, lddy, X, ldx, layout, dW, false);
}

void bsgemm_backward_weight_add(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                                const BsrLayout& layout, float* dW) {
  backward_weight(dY, M, lddy, X, ldx, layout, dW, true);
}

void bsr_scatter_blocks(const BsrLayout& l, const float* blocks, float* dense) {
  std::fill(dense, dense + l.rows * l.cols, 0.0f);
  bsr_write_blocks(l, blocks, dense);
}

namespace {
// fn(dense_offset, block_offset, n) for every in-matrix row of every kept block: the row's n
// values start at dense_offset in the dense matrix and at block_offset in the compact blocks.
template <typename Fn>
void for_each_kept_row(const BsrLayout& l, Fn fn) {
  const int64_t be = l.block_elems();
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      for (int r = 0; r < l.rows_in_block_row(i); ++r)
        fn((i * l.block_rows + r) * l.cols + j * l.block_cols, b * be + static_cast<int64_t>(r) * l.block_cols,
           l.cols_in_block_col(j));
    }
  }
}
}  // namespace

void bsr_write_blocks(const BsrLayout& l, const float* blocks, float* dense) {
  for_each_kept_row(l, [=](int64_t d, int64_t k, int n) { std::copy(blocks + k, blocks + k + n, dense + d); });
}

void bsr_gather_blocks(const BsrLayout& l, const float* dense, float* blocks) {
  std::fill(blocks, blocks + l.kept_blocks() * l.block_elems(), 0.0f);
  for_each_kept_row(l, [=](int64_t d, int64_t k, int n) { std::copy(dense + d, dense + d + n, blocks + k); });
}

}  // namespace bitblock::kernels
