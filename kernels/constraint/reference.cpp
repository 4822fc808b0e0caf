// The weight constraint by its definition, one weight at a time (double sums in column order).
#include <algorithm>
#include <cmath>

#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/kbit.hpp"

namespace bitblock::kernels::reference {

void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                           double* stat, int64_t* count) {
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0.0;
    int64_t n = 0;
    for (int64_t c = 0; c < cols; ++c) {
      if (!mask[r * cols + c]) continue;
      const double a = std::fabs(latent[r * cols + c]);
      s = bits == 1 ? s + a : std::max(s, a);
      ++n;
    }
    stat[r] = s;
    count[r] = n;
  }
}

void weight_row_statistics_blocks(const BlockLayoutView& l, const float* latent, int bits, double* stat,
                                  int64_t* count) {
  for (int64_t row = 0; row < l.rows; ++row) {
    const int64_t i = row / l.block_rows;
    const int r = static_cast<int>(row % l.block_rows);
    double s = 0.0;
    int64_t n = 0;
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b)
      for (int c = 0; c < l.cols_in_block_col(l.block_col_idx[b]); ++c) {
        const double a = std::fabs(latent[(int64_t{b} * l.block_rows + r) * l.block_cols + c]);
        s = bits == 1 ? s + a : std::max(s, a);
        ++n;
      }
    stat[row] = s;
    count[row] = n;
  }
}

void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count, float* scales) {
  auto scale = [bits](double s, int64_t n) {
    if (bits == 1) return n > 0 ? static_cast<float>(s / double(n)) : 0.0f;
    return static_cast<float>(s) / static_cast<float>(kbit_limit(bits));
  };
  if (per_row) {
    for (int64_t r = 0; r < rows; ++r) scales[r] = scale(stat[r], count[r]);
    return;
  }
  double total = 0.0;
  int64_t n = 0;
  for (int64_t r = 0; r < rows; ++r) {
    total = bits == 1 ? total + stat[r] : std::max(total, stat[r]);
    n += count[r];
  }
  scales[0] = scale(total, n);
}

void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                     const float* scales, bool per_row, float* effective) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t i = r * cols + c;
      const float s = bits == 32 ? 1.0f : scales[per_row ? r : 0];
      effective[i] = !mask[i] ? 0.0f : bits == 32 ? latent[i] : static_cast<float>(quantize_code(latent[i], s, bits)) * s;
    }
}

void weight_quantize_blocks(const BlockLayoutView& l, const float* latent, int bits, const float* scales,
                            bool per_row, float* effective) {
  for (int64_t i = 0; i < l.num_block_rows; ++i)
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b)
      for (int r = 0; r < l.block_rows; ++r)
        for (int c = 0; c < l.block_cols; ++c) {
          const int64_t e = (int64_t{b} * l.block_rows + r) * l.block_cols + c;
          const bool inside = r < l.rows_in_block_row(i) && c < l.cols_in_block_col(l.block_col_idx[b]);
          if (bits == 32) {
            effective[e] = latent[e];
          } else if (!inside) {
            effective[e] = 0.0f;  // a ragged edge's padding: no row, so no scale, of its own
          } else {
            const float s = scales[per_row ? i * l.block_rows + r : 0];
            effective[e] = static_cast<float>(quantize_code(latent[e], s, bits)) * s;
          }
        }
}

void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                     float* grad_latent) {
  for (int64_t i = 0; i < n; ++i) grad_latent[i] = mask[i] && std::fabs(latent[i]) <= clip ? grad_effective[i] : 0.0f;
}

void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                            float* grad_latent) {
  for (int64_t i = 0; i < n; ++i)
    if (std::fabs(latent[i]) <= clip) grad_latent[i] += grad_effective[i];
}

void weight_clip(int64_t n, float clip, float* latent) {
  for (int64_t i = 0; i < n; ++i) latent[i] = std::clamp(latent[i], -clip, clip);
}

}  // namespace bitblock::kernels::reference
