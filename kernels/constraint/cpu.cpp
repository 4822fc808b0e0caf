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
namespace {

// e[k] = code(w[k]) * s for a run of n kept weights under one scale s (binary: sign x s; k bits:
// kbit_code, 0 when s == 0): what weight_quantize gives at kept positions. Branch-free, vectorizes.
inline void quantize_run(const float* w, float* e, int64_t n, float s, int bits) {
  if (bits == 1) {
    for (int64_t k = 0; k < n; ++k) e[k] = w[k] >= 0.0f ? s : -s;
  } else if (s == 0.0f) {
    for (int64_t k = 0; k < n; ++k) e[k] = 0.0f;
  } else {
    const int limit = kbit_limit(bits);
    for (int64_t k = 0; k < n; ++k) e[k] = static_cast<float>(kbit_code(w[k], s, limit)) * s;
  }
}

// The same with a scale per weight (s[k]), for a run down the rows of a column.
inline void quantize_run_scales(const float* w, float* e, int64_t n, const float* s, int bits) {
  if (bits == 1) {
    for (int64_t k = 0; k < n; ++k) e[k] = w[k] >= 0.0f ? s[k] : -s[k];
    return;
  }
  const int limit = kbit_limit(bits);
  // A zero scale means every kept |w| of its row is 0, so dividing by 1 instead gives code 0.
  for (int64_t k = 0; k < n; ++k) {
    const float divisor = s[k] == 0.0f ? 1.0f : s[k];
    e[k] = static_cast<float>(kbit_code(w[k], divisor, limit)) * s[k];
  }
}

// One-column blocks (column structure): each kept block is a run down its block-row's rows, so
// the statistics go block by block (its column: the order weight_row_statistics adds columns in)
// with the rows along the vector lanes, kTask rows per task.
void row_statistics_column_runs(const BlockLayoutView& l, const float* latent, int bits, double* stat,
                                int64_t* count) {
  constexpr int64_t kTask = 256;
  const int64_t br = l.block_rows;
  const int64_t cols4 = l.cols / 4 * 4;
  const int64_t tasks = (l.rows + kTask - 1) / kTask;
#pragma omp parallel for schedule(static) if (l.kept_blocks * br >= kParallelWeights)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t r0 = t * kTask, r1 = std::min(l.rows, r0 + kTask);
    double lanes[4][kTask] = {};
    float top[kTask] = {};
    for (int64_t i = r0 / br; i * br < r1; ++i) {
      const int32_t b0 = l.block_row_ptr[i], b1 = l.block_row_ptr[i + 1];
      const int64_t lo = std::max(r0, i * br), hi = std::min(r1, i * br + l.rows_in_block_row(i));
      for (int32_t b = b0; b < b1; ++b) {
        const int64_t c = l.block_col_idx[b];
        const float* w = latent + int64_t{b} * br + (lo - i * br);
        double* lane = lanes[c < cols4 ? (c & 3) : 0] + (lo - r0);
        float* tp = top + (lo - r0);
        if (bits == 1) {
          for (int64_t k = 0; k < hi - lo; ++k) lane[k] += std::fabs(w[k]);
        } else {
          for (int64_t k = 0; k < hi - lo; ++k) tp[k] = std::max(tp[k], std::fabs(w[k]));
        }
      }
      for (int64_t row = lo; row < hi; ++row) count[row] = b1 - b0;
    }
    for (int64_t row = r0; row < r1; ++row) {
      const int64_t k = row - r0;
      stat[row] = bits == 1 ? (lanes[0][k] + lanes[1][k]) + (lanes[2][k] + lanes[3][k]) : static_cast<double>(top[k]);
    }
  }
}

}  // namespace

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
  if (l.block_cols == 1) return row_statistics_column_runs(l, latent, bits, stat, count);
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
  const int64_t br = l.block_rows, bc = l.block_cols;
  const int64_t n = l.kept_blocks * l.block_elems();
  if (bits == 32) {
    std::copy(latent, latent + n, effective);
    return;
  }
  auto scale = [&](int64_t row) { return scales[per_row ? row : 0]; };
  // Kept weights that form runs are quantized run by run (vectorized): a block-row of one-row
  // blocks without a ragged edge is one run under one scale (rows, elements); a full-height
  // one-column block is a run down the rows (columns). Other blocks go row by row.
  const bool row_runs = br == 1 && l.cols % bc == 0;
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < l.num_block_rows; ++i) {
    const int nr = l.rows_in_block_row(i);
    const int32_t b0 = l.block_row_ptr[i], b1 = l.block_row_ptr[i + 1];
    if (row_runs) {
      quantize_run(latent + int64_t{b0} * bc, effective + int64_t{b0} * bc, int64_t{b1 - b0} * bc, scale(i), bits);
      continue;
    }
    for (int32_t b = b0; b < b1; ++b) {
      const float* w = latent + int64_t{b} * br * bc;
      float* e = effective + int64_t{b} * br * bc;
      if (bc == 1 && nr == br && per_row) {
        quantize_run_scales(w, e, br, scales + i * br, bits);
        continue;
      }
      if (bc == 1 && nr == br) {
        quantize_run(w, e, br, scale(0), bits);
        continue;
      }
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      for (int r = 0; r < br; ++r) {
        const int width = r < nr ? nc : 0;
        quantize_run(w + r * bc, e + r * bc, width, r < nr ? scale(i * br + r) : 0.0f, bits);
        std::fill(e + r * bc + width, e + (r + 1) * bc, 0.0f);  // ragged edge
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
