#pragma once
// Weight quantizers Q_k on masked rows: binary sign x mean|w|, k-bit uniform symmetric with
// scale max|w| / (2^(k-1) - 1). Scales come from the kept weights only.
#include <cmath>
#include <cstdint>
#include <vector>

#include "bitblock/framework/constraint.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock::detail {

inline int max_code(int bits) { return (1 << (bits - 1)) - 1; }

// k-bit code of w under a scale s > 0 with |w| <= the largest kept |w| (so |w / s| <= limit up
// to rounding): w / s rounded half away from zero, clamped to +-limit. Truncating, then
// comparing the exact remainder with 0.5, stays inline and vectorizable where std::round is a
// library call.
inline int kbit_code(float w, float s, int limit) {
  float x = w / s;
  int q = static_cast<int>(x);
  float rest = x - static_cast<float>(q);
  q += static_cast<int>(rest >= 0.5f) - static_cast<int>(rest <= -0.5f);
  q = q > limit ? limit : q;
  return q < -limit ? -limit : q;
}

// Integer code of one kept weight under scale s (binary: sign with sign(0) = +1; k bits:
// kbit_code, 0 when s == 0).
inline int quantize_code(float w, float s, int bits) {
  if (bits == 1) return w >= 0.0f ? 1 : -1;
  return s == 0.0f ? 0 : kbit_code(w, s, max_code(bits));
}

// e[k] = code(w[k]) * s for a run of n kept weights under one scale s (binary: sign x s; k bits:
// kbit_code, 0 when s == 0): what apply() gives at kept positions. Branch-free, vectorizes.
inline void quantize_run(const float* w, float* e, int64_t n, float s, int bits) {
  if (bits == 1) {
    for (int64_t k = 0; k < n; ++k) e[k] = w[k] >= 0.0f ? s : -s;
  } else if (s == 0.0f) {
    for (int64_t k = 0; k < n; ++k) e[k] = 0.0f;
  } else {
    const int limit = max_code(bits);
    for (int64_t k = 0; k < n; ++k) e[k] = static_cast<float>(kbit_code(w[k], s, limit)) * s;
  }
}

// The same with a scale per weight (s[k]), for a run down the rows of a column.
inline void quantize_run_scales(const float* w, float* e, int64_t n, const float* s, int bits) {
  if (bits == 1) {
    for (int64_t k = 0; k < n; ++k) e[k] = w[k] >= 0.0f ? s[k] : -s[k];
    return;
  }
  const int limit = max_code(bits);
  // A zero scale means every kept |w| of its row is 0, so dividing by 1 instead gives code 0.
  for (int64_t k = 0; k < n; ++k) {
    const float divisor = s[k] == 0.0f ? 1.0f : s[k];
    e[k] = static_cast<float>(kbit_code(w[k], divisor, limit)) * s[k];
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
