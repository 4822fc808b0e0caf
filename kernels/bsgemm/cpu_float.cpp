// Float block-sparse GEMMs on the CPU: panels for the forward and input-gradient products (run
// by the shared panel engine) and the kept-blocks-only weight gradient.
#include <algorithm>
#include <vector>

#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "bsgemm/float_avx2.hpp"
#include "common/panel_gemm.hpp"

namespace bitblock::kernels {
namespace {

// Block-row i: terms are the kept columns (block by block), outputs the block-row's rows.
void build_forward_panel(const BsrWeights& W, int64_t i, detail::FloatPanel& p) {
  const BsrLayout& l = W.layout;
  const int nr = l.rows_in_block_row(i);
  const int64_t row0 = i * l.block_rows;
  int64_t terms = 0;
  for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) terms += l.cols_in_block_col(l.block_col_idx[b]);
  p.reset(row0, nr, terms);
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  int64_t t = 0;
  for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
    const int64_t j = l.block_col_idx[b];
    bsr_decode_block(W, b, block.data());
    for (int c = 0; c < l.cols_in_block_col(j); ++c, ++t) {
      p.idx[static_cast<size_t>(t)] = static_cast<int32_t>(j * l.block_cols + c);
      for (int r = 0; r < nr; ++r) {
        const int chunk = r / detail::kPanelChunk;
        p.term(chunk, t)[r % detail::kPanelChunk] = block[static_cast<size_t>(r) * l.block_cols + c] * W.row_scales[row0 + r];
      }
    }
  }
}

// Kept blocks of each block-column as (block-row, block index): the transposed traversal.
struct BlockColumns {
  std::vector<int32_t> ptr, row, block;
};

BlockColumns block_columns(const BsrLayout& l) {
  BlockColumns t;
  const int64_t nbc = l.num_block_cols();
  t.ptr.assign(static_cast<size_t>(nbc + 1), 0);
  for (int32_t j : l.block_col_idx) ++t.ptr[static_cast<size_t>(j) + 1];
  for (int64_t j = 0; j < nbc; ++j) t.ptr[j + 1] += t.ptr[j];
  t.row.resize(l.block_col_idx.size());
  t.block.resize(l.block_col_idx.size());
  std::vector<int32_t> fill(t.ptr.begin(), t.ptr.end() - 1);
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int32_t at = fill[static_cast<size_t>(l.block_col_idx[b])]++;
      t.row[static_cast<size_t>(at)] = static_cast<int32_t>(i);
      t.block[static_cast<size_t>(at)] = b;
    }
  }
  return t;
}

// Block-column j: terms are the kept rows (block by block), outputs the block-column's columns.
void build_backward_panel(const BsrWeights& W, const BlockColumns& t, int64_t j, detail::FloatPanel& p) {
  const BsrLayout& l = W.layout;
  const int nc = l.cols_in_block_col(j);
  int64_t terms = 0;
  for (int32_t e = t.ptr[j]; e < t.ptr[j + 1]; ++e) terms += l.rows_in_block_row(t.row[static_cast<size_t>(e)]);
  p.reset(j * l.block_cols, nc, terms);
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  int64_t term = 0;
  for (int32_t e = t.ptr[j]; e < t.ptr[j + 1]; ++e) {
    const int64_t i = t.row[static_cast<size_t>(e)];
    bsr_decode_block(W, t.block[static_cast<size_t>(e)], block.data());
    for (int r = 0; r < l.rows_in_block_row(i); ++r, ++term) {
      const int64_t n = i * l.block_rows + r;
      p.idx[static_cast<size_t>(term)] = static_cast<int32_t>(n);
      for (int c = 0; c < nc; ++c) {
        p.term(c / detail::kPanelChunk, term)[c % detail::kPanelChunk] =
            block[static_cast<size_t>(r) * l.block_cols + c] * W.row_scales[n];
      }
    }
  }
}

void sddmm_block_portable(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows, int nr, int nc,
                          float* dWb, int ldw) {
  for (int64_t m = 0; m < rows; ++m) {
    for (int r = 0; r < nr; ++r) {
      const float g = dY[m * lddy + r];
      for (int c = 0; c < nc; ++c) dWb[r * ldw + c] += g * X[m * ldx + c];
    }
  }
}

}  // namespace

void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const BsrWeights& W, float* Y, int64_t ldy) {
  std::vector<detail::FloatPanel> panels(static_cast<size_t>(W.layout.num_block_rows()));
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < static_cast<int64_t>(panels.size()); ++i) build_forward_panel(W, i, panels[i]);
  detail::run_panels(X, M, ldx, W.layout.cols, panels, Y, ldy, detail::PanelOp{});
}

void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const BsrWeights& W, float* dX,
                           int64_t lddx) {
  const BlockColumns t = block_columns(W.layout);
  std::vector<detail::FloatPanel> panels(static_cast<size_t>(W.layout.num_block_cols()));
#pragma omp parallel for schedule(dynamic)
  for (int64_t j = 0; j < static_cast<int64_t>(panels.size()); ++j) build_backward_panel(W, t, j, panels[j]);
  detail::run_panels(dY, M, lddy, W.layout.rows, panels, dX, lddx, detail::PanelOp{});
}

void bsgemm_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                            const BsrLayout& layout, float* dW) {
  const int64_t be = layout.block_elems();
  const int64_t nbr = layout.num_block_rows();
  const bool avx2 = active_isa() != Isa::Portable;
  std::fill(dW, dW + layout.kept_blocks() * be, 0.0f);
  // Rows of X and dY per pass: about 256 KiB of them stay cached while the blocks go by.
  const int64_t mc = std::clamp<int64_t>((int64_t{1} << 16) / (layout.cols + layout.rows), 8, 512);
  for (int64_t m0 = 0; m0 < M; m0 += mc) {
    const int64_t rows = std::min(mc, M - m0);
#pragma omp parallel for schedule(dynamic)
    for (int64_t i = 0; i < nbr; ++i) {
      const int nr = layout.rows_in_block_row(i);
      const float* dy = dY + m0 * lddy + i * layout.block_rows;
      for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b) {
        const int64_t j = layout.block_col_idx[b];
        const float* x = X + m0 * ldx + j * layout.block_cols;
        const int nc = layout.cols_in_block_col(j);
        if (avx2) {
          detail::sddmm_block_avx2(dy, lddy, x, ldx, rows, nr, nc, dW + b * be, layout.block_cols);
        } else {
          sddmm_block_portable(dy, lddy, x, ldx, rows, nr, nc, dW + b * be, layout.block_cols);
        }
      }
    }
  }
}

void bsr_scatter_blocks(const BsrLayout& l, const float* blocks, float* dense) {
  std::fill(dense, dense + l.rows * l.cols, 0.0f);
  const int64_t be = l.block_elems();
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      for (int r = 0; r < l.rows_in_block_row(i); ++r) {
        const float* src = blocks + b * be + static_cast<int64_t>(r) * l.block_cols;
        std::copy(src, src + l.cols_in_block_col(j), dense + (i * l.block_rows + r) * l.cols + j * l.block_cols);
      }
    }
  }
}

}  // namespace bitblock::kernels
