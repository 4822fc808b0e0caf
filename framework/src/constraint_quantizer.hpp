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
