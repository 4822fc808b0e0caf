// The weight constraint's per-step loops on the CPU: OpenMP over rows for matrices of 64K weights
// or more; every reduction runs inside one thread in a fixed order (per-layer scales combine the
// rows in row order), so results do not depend on the thread count. Loops are branch-free so
// they vectorize: multiplying by the 0/1 mask instead of branching, one loop per quantizer.
#include <algorithm>
#include <cmath>

#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/kbit.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels {

void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                           double* stat, int64_t* count) {
  // Four accumulators break the add/max latency chain.
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelWeights)
  for (int64_t r = 0; r < rows; ++r) {
    const float* w = latent + r * cols;
    const uint8_t* m = mask + r * cols;
    auto kept_abs = [w, m](int64_t c) { return std::fabs(w[c]) * static_cast<float>(m[c]); };
    int64_t n = 0;
    for (int64_t c = 0; c < cols; ++c) n += m[c];
    int64_t c = 0;
    if (bits == 1) {
      double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      for (; c + 4 <= cols; c += 4) {
        s0 += kept_abs(c);
        s1 += kept_abs(c + 1);
        s2 += kept_abs(c + 2);
        s3 += kept_abs(c + 3);
      }
      for (; c < cols; ++c) s0 += kept_abs(c);
      stat[r] = (s0 + s1) + (s2 + s3);
    } else {
      float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
      for (; c + 4 <= cols; c += 4) {
        t0 = std::max(t0, kept_abs(c));
        t1 = std::max(t1, kept_abs(c + 1));
        t2 = std::max(t2, kept_abs(c + 2));
        t3 = std::max(t3, kept_abs(c + 3));
      }
      for (; c < cols; ++c) t0 = std::max(t0, kept_abs(c));
      stat[r] = std::max(std::max(t0, t1), std::max(t2, t3));
    }
    count[r] = n;
  }
}

void weight_row_statistics_blocks(const BlockLayoutView& l, const float* latent, int bits, double* stat,
                                  int64_t* count) {
  const int br = l.block_rows, bc = l.block_cols;
  // The dense statistics add columns past cols4 to their first lane: the same here, bit for bit
  // (masked weights add exactly 0 there).
  const int64_t cols4 = l.cols / 4 * 4;
#pragma omp parallel for schedule(static) if (l.kept_blocks * l.block_elems() >= kParallelWeights)
  for (int64_t row = 0; row < l.rows; ++row) {
    const int64_t i = row / br;
    const int r = static_cast<int>(row % br);
    double lanes[4] = {0.0, 0.0, 0.0, 0.0};
    float top = 0.0f;
    int64_t n = 0;
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t c0 = int64_t{l.block_col_idx[b]} * bc;
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      const float* w = latent + (int64_t{b} * br + r) * bc;
      n += nc;
      if (bits == 1) {
        for (int c = 0; c < nc; ++c) lanes[c0 + c < cols4 ? ((c0 + c) & 3) : 0] += std::fabs(w[c]);
      } else {
        for (int c = 0; c < nc; ++c) top = std::max(top, std::fabs(w[c]));
      }
    }
    stat[row] = bits == 1 ? (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) : static_cast<double>(top);
    count[row] = n;
  }
}

void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count, float* scales) {
  auto to_scale = [bits](double s, int64_t n) {
    if (bits == 1) return n > 0 ? static_cast<float>(s / double(n)) : 0.0f;
    return static_cast<float>(s) / static_cast<float>(kbit_limit(bits));
  };
  if (per_row) {
    for (int64_t r = 0; r < rows; ++r) scales[r] = to_scale(stat[r], count[r]);
    return;
  }
  double total = 0.0;  // binary: sum over rows in order; k bits: max over rows
  int64_t n = 0;
  for (int64_t r = 0; r < rows; ++r) {
    total = bits == 1 ? total + stat[r] : std::max(total, stat[r]);
    n += count[r];
  }
  scales[0] = to_scale(total, n);
}

void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                     const float* scales, bool per_row, float* effective) {
  if (bits == 32) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelWeights)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = r * cols; i < (r + 1) * cols; ++i) {
        float w = latent[i];  // loaded unconditionally so the select vectorizes
        effective[i] = mask[i] ? w : 0.0f;
      }
    return;
  }
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelWeights)
  for (int64_t r = 0; r < rows; ++r) {
    const float s = scales[per_row ? r : 0];
    const int64_t end = (r + 1) * cols;
    if (bits == 1) {
      for (int64_t i = r * cols; i < end; ++i) {
        float v = latent[i] >= 0.0f ? s : -s;
        effective[i] = mask[i] ? v : 0.0f;
      }
    } else if (s == 0.0f) {
      std::fill(effective + r * cols, effective + end, 0.0f);
    } else {
      const int limit = kbit_limit(bits);
      for (int64_t i = r * cols; i < end; ++i) {
        // Multiplying by the 0/1 mask brings masked weights inside kbit_code's range: code 0.
        float w = latent[i] * static_cast<float>(mask[i]);
        effective[i] = static_cast<float>(kbit_code(w, s, limit)) * s;
      }
    }
  }
}

void weight_quantize_blocks(const BlockLayoutView& l, const float* latent, int bits, const float* scales,
                            bool per_row, float* effective) {
  const int br = l.block_rows, bc = l.block_cols;
  const int64_t n = l.kept_blocks * l.block_elems();
  if (bits == 32) {
    std::copy(latent, latent + n, effective);
    return;
  }
  const int limit = bits == 1 ? 1 : kbit_limit(bits);
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < l.num_block_rows; ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      for (int r = 0; r < br; ++r) {
        const float* w = latent + (int64_t{b} * br + r) * bc;
        float* e = effective + (int64_t{b} * br + r) * bc;
        const float s = r < nr ? scales[per_row ? i * br + r : 0] : 0.0f;
        const int width = r < nr ? nc : 0;
        if (bits == 1) {
          for (int c = 0; c < width; ++c) e[c] = w[c] >= 0.0f ? s : -s;
        } else if (s == 0.0f) {
          std::fill(e, e + width, 0.0f);
        } else {
          for (int c = 0; c < width; ++c) e[c] = static_cast<float>(kbit_code(w[c], s, limit)) * s;
        }
        std::fill(e + width, e + bc, 0.0f);  // ragged edge
      }
    }
  }
}

void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                     float* grad_latent) {
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < n; ++i) {
    float g = grad_effective[i];
    bool pass = (mask[i] != 0) & (std::fabs(latent[i]) <= clip);
    grad_latent[i] = pass ? g : 0.0f;
  }
}

void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                            float* grad_latent) {
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < n; ++i) grad_latent[i] += std::fabs(latent[i]) <= clip ? grad_effective[i] : 0.0f;
}

void weight_clip(int64_t n, float clip, float* latent) {
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < n; ++i) latent[i] = std::min(clip, std::max(-clip, latent[i]));
}

}  // namespace bitblock::kernels
