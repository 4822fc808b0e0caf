// Integer block-sparse product: panel building, portable loops and the ISA dispatch.
#include <algorithm>
#include <cstring>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "bsgemm/int_panel.hpp"

namespace bitblock::kernels {
namespace detail {

void build_int_panel(const BsrWeights& W, int64_t i, IntPanel& p) {
  const BsrLayout& l = W.layout;
  const int32_t b0 = l.block_row_ptr[i], b1 = l.block_row_ptr[i + 1];
  p.row0 = i * l.block_rows;
  p.rows = l.rows_in_block_row(i);
  p.col_start.clear();
  p.col_count.clear();
  int64_t used = 0;
  for (int32_t b = b0; b < b1; ++b) {
    const int64_t j = l.block_col_idx[b];
    p.col_start.push_back(j * l.block_cols);
    p.col_count.push_back(l.cols_in_block_col(j));
    used += p.col_count.back();
  }
  p.len = (used + kIntPanelAlign - 1) / kIntPanelAlign * kIntPanelAlign;
  const int rows_pad = (p.rows + 7) / 8 * 8;
  p.codes.assign(static_cast<size_t>(rows_pad * p.len), 0);
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  int64_t offset = 0;
  for (int32_t b = b0; b < b1; ++b) {
    bsr_decode_block(W, b, block.data());
    const int nc = p.col_count[static_cast<size_t>(b - b0)];
    for (int r = 0; r < p.rows; ++r) {
      for (int c = 0; c < nc; ++c) {
        p.codes[static_cast<size_t>(r * p.len + offset + c)] = block[static_cast<size_t>(r * l.block_cols + c)];
      }
    }
    offset += nc;
  }
}

void int_panel_product_portable(const int16_t* X, int64_t M, int64_t ldx, const IntPanel& p, int32_t* Y,
                                int64_t ldy, int16_t* xg) {
  std::fill(xg, xg + p.len, int16_t{0});
  for (int64_t m = 0; m < M; ++m) {
    const int16_t* x = X + m * ldx;
    int64_t offset = 0;
    for (size_t b = 0; b < p.col_start.size(); ++b) {
      std::memcpy(xg + offset, x + p.col_start[b], static_cast<size_t>(p.col_count[b]) * sizeof(int16_t));
      offset += p.col_count[b];
    }
    int32_t* y = Y + m * ldy + p.row0;
    for (int r = 0; r < p.rows; ++r) {
      const int16_t* w = p.codes.data() + static_cast<int64_t>(r) * p.len;
      int32_t acc = 0;
      for (int64_t k = 0; k < p.len; ++k) acc += static_cast<int32_t>(xg[k]) * w[k];
      y[r] = acc;
    }
  }
}

}  // namespace detail

void bsgemm_int(const int16_t* X, int64_t M, int64_t ldx, const BsrWeights& W, int32_t* Y, int64_t ldy) {
  const BsrLayout& l = W.layout;
  const bool avx2 = active_isa() != Isa::Portable;
  const int64_t nbr = l.num_block_rows();
  std::vector<detail::IntPanel> panels(static_cast<size_t>(nbr));
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < nbr; ++i) detail::build_int_panel(W, i, panels[static_cast<size_t>(i)]);
  // Rows of X per pass: about 128 KiB of activations stay in L2 while every panel goes by.
  const int64_t mb = std::clamp<int64_t>((int64_t{1} << 16) / std::max<int64_t>(l.cols, 1), 8, 1024);
  for (int64_t m0 = 0; m0 < M; m0 += mb) {
    const int64_t rows = std::min(mb, M - m0);
#pragma omp parallel
    {
      std::vector<int16_t> xg;
#pragma omp for schedule(dynamic)
      for (int64_t i = 0; i < nbr; ++i) {
        const detail::IntPanel& panel = panels[static_cast<size_t>(i)];
        int32_t* y = Y + m0 * ldy;
        if (panel.col_start.empty()) {
          for (int64_t m = 0; m < rows; ++m) std::fill_n(y + m * ldy + panel.row0, panel.rows, 0);
          continue;
        }
        xg.resize(static_cast<size_t>(panel.len));
        if (avx2) {
          detail::int_panel_product_avx2(X + m0 * ldx, rows, ldx, panel, y, ldy, xg.data());
        } else {
          detail::int_panel_product_portable(X + m0 * ldx, rows, ldx, panel, y, ldy, xg.data());
        }
      }
    }
  }
}

}  // namespace bitblock::kernels
