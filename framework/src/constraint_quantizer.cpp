#include "constraint_quantizer.hpp"

#include <algorithm>

namespace bitblock::detail {

void row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                    double* stat, int64_t* count) {
  // Four accumulators (combined in a fixed order, so results do not depend on the thread count)
  // break the add/max latency chain; multiplying by the 0/1 mask instead of branching avoids
  // mispredictions on irregular masks.
#pragma omp parallel for schedule(static) if (rows * cols >= 65536)
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

namespace {
// One-column blocks (column structure): each kept block is a run down its block-row's rows, so
// the statistics go block by block (its column: the order row_statistics adds columns in) with
// the rows along the vector lanes, kTask rows per task.
void row_statistics_column_runs(const kernels::BsrLayout& l, const float* latent, int bits, double* stat,
                                int64_t* count) {
  constexpr int64_t kTask = 256;
  const int64_t br = l.block_rows;
  const int64_t cols4 = l.cols / 4 * 4;
  const int64_t tasks = (l.rows + kTask - 1) / kTask;
#pragma omp parallel for schedule(static) if (l.kept_blocks() * br >= 65536)
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

void row_statistics_blocks(const kernels::BsrLayout& l, const float* latent, int bits, double* stat,
                           int64_t* count) {
  if (l.block_cols == 1) return row_statistics_column_runs(l, latent, bits, stat, count);
  const int br = l.block_rows, bc = l.block_cols;
  const int64_t cols4 = l.cols / 4 * 4;  // row_statistics adds columns past cols4 to its first lane
#pragma omp parallel for schedule(static) if (l.kept_blocks() * l.block_elems() >= 65536)
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

void scales_from_statistics(int bits, ScaleMode mode, int64_t rows, const double* stat,
                            const int64_t* count, std::vector<float>& scales) {
  auto to_scale = [bits](double s, int64_t n) {
    if (bits == 1) return n > 0 ? static_cast<float>(s / double(n)) : 0.0f;
    return static_cast<float>(s) / static_cast<float>(kernels::kbit_limit(bits));
  };
  if (mode == ScaleMode::PerRow) {
    for (int64_t r = 0; r < rows; ++r) scales[static_cast<size_t>(r)] = to_scale(stat[r], count[r]);
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

}  // namespace bitblock::detail
