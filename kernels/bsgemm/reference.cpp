// Plain reference loops for the block-sparse products, reading codes straight from the packed
// stream. Slow on purpose: the oracle every optimized kernel is tested against.
#include <algorithm>
#include <cstring>
#include <vector>

#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels::reference {

void bsgemm_int(const int16_t* X, int64_t M, int64_t ldx, const BsrWeights& W, int32_t* Y, int64_t ldy) {
  const BsrLayout& l = W.layout;
  for (int64_t m = 0; m < M; ++m) std::memset(Y + m * ldy, 0, static_cast<size_t>(l.rows) * sizeof(int32_t));
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      bsr_decode_block(W, b, block.data());
      for (int r = 0; r < l.rows_in_block_row(i); ++r) {
        const int64_t n = i * l.block_rows + r;
        for (int c = 0; c < l.cols_in_block_col(j); ++c) {
          const int64_t k = j * l.block_cols + c;
          const int32_t code = block[static_cast<size_t>(r) * l.block_cols + c];
          for (int64_t m = 0; m < M; ++m) Y[m * ldy + n] += static_cast<int32_t>(X[m * ldx + k]) * code;
        }
      }
    }
  }
}


namespace {
// Visits every in-matrix element of every kept block: f(b, r, c, n, k, code).
template <typename F>
void for_each_kept(const BsrWeights& W, F f) {
  const BsrLayout& l = W.layout;
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      bsr_decode_block(W, b, block.data());
      for (int r = 0; r < l.rows_in_block_row(i); ++r) {
        for (int c = 0; c < l.cols_in_block_col(j); ++c) {
          f(b, r, c, i * l.block_rows + r, j * l.block_cols + c, block[static_cast<size_t>(r) * l.block_cols + c]);
        }
      }
    }
  }
}
}  // namespace

void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const BsrWeights& W, float* Y, int64_t ldy) {
  std::vector<double> acc(static_cast<size_t>(M * W.layout.rows), 0.0);
  for_each_kept(W, [&](int64_t, int, int, int64_t n, int64_t k, int8_t code) {
    const double w = static_cast<double>(code) * W.row_scales[n];
    for (int64_t m = 0; m < M; ++m) acc[m * W.layout.rows + n] += w * X[m * ldx + k];
  });
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < W.layout.rows; ++n) Y[m * ldy + n] = static_cast<float>(acc[m * W.layout.rows + n]);
  }
}

void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const BsrWeights& W, float* dX,
                           int64_t lddx) {
  std::vector<double> acc(static_cast<size_t>(M * W.layout.cols), 0.0);
  for_each_kept(W, [&](int64_t, int, int, int64_t n, int64_t k, int8_t code) {
    const double w = static_cast<double>(code) * W.row_scales[n];
    for (int64_t m = 0; m < M; ++m) acc[m * W.layout.cols + k] += w * dY[m * lddy + n];
  });
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < W.layout.cols; ++k) dX[m * lddx + k] = static_cast<float>(acc[m * W.layout.cols + k]);
  }
}

void bsgemm_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                            const BsrLayout& layout, float* dW) {
  const int64_t be = layout.block_elems();
  std::fill(dW, dW + layout.kept_blocks() * be, 0.0f);
  for (int64_t i = 0; i < layout.num_block_rows(); ++i) {
    for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b) {
      const int64_t j = layout.block_col_idx[b];
      for (int r = 0; r < layout.rows_in_block_row(i); ++r) {
        for (int c = 0; c < layout.cols_in_block_col(j); ++c) {
          double acc = 0.0;
          for (int64_t m = 0; m < M; ++m) {
            acc += static_cast<double>(dY[m * lddy + i * layout.block_rows + r]) * X[m * ldx + j * layout.block_cols + c];
          }
          dW[b * be + static_cast<int64_t>(r) * layout.block_cols + c] = static_cast<float>(acc);
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::reference
