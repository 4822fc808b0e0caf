#pragma once
// Weight quantizers Q_k on masked rows: binary sign x mean|w|, k-bit uniform symmetric with
// scale max|w| / (2^(k-1) - 1). Scales come from the kept weights only; the per-weight code is
// kernels/kbit.hpp's quantize_code (shared with the CUDA side).
#include <cmath>
#include <cstdint>
#include <vector>

#include "bitblock/framework/constraint.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/kbit.hpp"

namespace bitblock::detail {

// e[k] = code(w[k]) * s for a run of n kept weights under one scale s (binary: sign x s; k bits:
// kbit_code, 0 when s == 0): what apply() gives at kept positions. Branch-free, vectorizes.
inline void quantize_run(const float* w, float* e, int64_t n, float s, int bits) {
  if (bits == 1) {
    for (int64_t k = 0; k < n; ++k) e[k] = w[k] >= 0.0f ? s : -s;
  } else if (s == 0.0f) {
    for (int64_t k = 0; k < n; ++k) e[k] = 0.0f;
  } else {
    const int limit = kernels::kbit_limit(bits);
    for (int64_t k = 0; k < n; ++k) e[k] = static_cast<float>(kernels::kbit_code(w[k], s, limit)) * s;
  }
}

// The same with a scale per weight (s[k]), for a run down the rows of a column.
inline void quantize_run_scales(const float* w, float* e, int64_t n, const float* s, int bits) {
  if (bits == 1) {
    for (int64_t k = 0; k < n; ++k) e[k] = w[k] >= 0.0f ? s[k] : -s[k];
    return;
  }
  const int limit = kernels::kbit_limit(bits);
  // A zero scale means every kept |w| of its row is 0, so dividing by 1 instead gives code 0.
  for (int64_t k = 0; k < n; ++k) {
    const float divisor = s[k] == 0.0f ? 1.0f : s[k];
    e[k] = static_cast<float>(kernels::kbit_code(w[k], divisor, limit)) * s[k];
  }
}

// Per row: binary -> stat = sum |w| and count = kept weights; k bits -> stat = max |w|.
// Deterministic: each row is reduced in order; rows may run in parallel.
void row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                    double* stat, int64_t* count);

// The same statistics from kept blocks stored compactly in the order of `layout` (see
// WeightConstraint::apply_blocks), bit for bit: binary sums use row_statistics' accumulator
// per column (masked weights add exactly 0 there), in the same column order.
void row_statistics_blocks(const kernels::BsrLayout& layout, const float* latent, int bits, double* stat,
                           int64_t* count);

// Scales (rows values for PerRow, 1 for PerLayer) from the row statistics; rows with no kept
// weight or only zeros get scale 0. Writes into an already sized vector.
void scales_from_statistics(int bits, ScaleMode mode, int64_t rows, const double* stat,
                            const int64_t* count, std::vector<float>& scales);

}  // namespace bitblock::detail
