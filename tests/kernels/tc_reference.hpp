#pragma once
// References and error bounds for the tensor-core kernels' tests (CPU emulation and device).
//
// Tolerance, from the operand formats: the kernels round X (forward), dY * scale (input
// gradient) or X and dY (weight gradient) to bf16, whose unit roundoff is 2^-9; codes are exact
// in bf16, products exact in the fp32 accumulator, and fp32 accumulation adds at most 2^-23 of
// the running magnitude per MMA (K / 16 of them: below 2^-9 for K < 2^18). So for an output
// y = sum_k a_k w_k, |y - y_ref| <= (2^-9 + 2^-9) * sum_k |a_k w_k| = 2^-8 sum_k |a_k w_k|, and
// with both operands rounded (weight gradient) 2^-7 sum |a_k b_k|. The bound is computed per
// output from the inputs, so it is tight where the sum is small.
#include <cmath>
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels::testing {

constexpr double kBf16OneSide = 1.0 / 256;  // one operand rounded to bf16
constexpr double kBf16TwoSides = 1.0 / 128;  // both operands rounded

// Dequantized dense weights (rows x cols), 0 outside kept blocks.
inline std::vector<double> dense_dequantized(const BsrWeights& w) {
  std::vector<int8_t> codes(static_cast<size_t>(w.layout.rows * w.layout.cols));
  bsr_unpack_codes(w, codes.data());
  std::vector<double> d(codes.size());
  for (int64_t n = 0; n < w.layout.rows; ++n) {
    for (int64_t k = 0; k < w.layout.cols; ++k) d[n * w.layout.cols + k] = double(codes[n * w.layout.cols + k]) * w.row_scales[n];
  }
  return d;
}

// Per output of Y = X W^T (transposed = false, X is M x cols) or dX = dY W (true, dY is M x rows):
// sum of |a| |w| over the terms, the scale of the bf16 error bound.
inline std::vector<double> abs_product(const float* A, int64_t M, int64_t lda, const std::vector<double>& w,
                                       int64_t rows, int64_t cols, bool transposed) {
  const int64_t outs = transposed ? cols : rows, depth = transposed ? rows : cols;
  std::vector<double> s(static_cast<size_t>(M * outs), 0.0);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t o = 0; o < outs; ++o) {
      double acc = 0.0;
      for (int64_t d = 0; d < depth; ++d) {
        const double wv = transposed ? w[d * cols + o] : w[o * cols + d];
        acc += std::fabs(double(A[m * lda + d]) * wv);
      }
      s[static_cast<size_t>(m * outs + o)] = acc;
    }
  }
  return s;
}

// Per weight-gradient entry (kept-block order): sum over the batch of |dY| |X|.
inline std::vector<double> abs_weight_grad(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                                           const BsrLayout& l) {
  std::vector<double> s(static_cast<size_t>(l.kept_blocks() * l.block_elems()), 0.0);
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      for (int r = 0; r < l.rows_in_block_row(i); ++r) {
        for (int c = 0; c < l.cols_in_block_col(l.block_col_idx[b]); ++c) {
          double acc = 0.0;
          for (int64_t m = 0; m < M; ++m) {
            acc += std::fabs(double(dY[m * lddy + i * l.block_rows + r]) *
                             X[m * ldx + int64_t{l.block_col_idx[b]} * l.block_cols + c]);
          }
          s[static_cast<size_t>(b * l.block_elems() + r * l.block_cols + c)] = acc;
        }
      }
    }
  }
  return s;
}

}  // namespace bitblock::kernels::testing
