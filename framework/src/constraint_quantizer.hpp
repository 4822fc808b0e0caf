#pragma once
// Weight quantizers Q_k on masked rows: binary sign x mean|w|, k-bit uniform symmetric with
// scale max|w| / (2^(k-1) - 1). Scales come from the kept weights only.
#include <cmath>
#include <cstdint>
#include <vector>

#include "bitblock/framework/constraint.hpp"

namespace bitblock::detail {

inline int max_code(int bits) { return (1 << (bits - 1)) - 1; }

// Integer code of one kept weight under scale s (binary: sign with sign(0) = +1; k bits:
// round half away from zero, clamped to +-max_code; 0 when s == 0).
inline int quantize_code(float w, float s, int bits) {
  if (bits == 1) return w >= 0.0f ? 1 : -1;
  if (s == 0.0f) return 0;
  float q = std::round(w / s);
  float limit = static_cast<float>(max_code(bits));
  return static_cast<int>(std::fmin(std::fmax(q, -limit), limit));
}

// Per row: binary -> stat = sum |w| and count = kept weights; k bits -> stat = max |w|.
// Deterministic: each row is reduced in order; rows may run in parallel.
void row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                    double* stat, int64_t* count);

// Scales (rows values for PerRow, 1 for PerLayer) from the row statistics; rows with no kept
// weight or only zeros get scale 0. Writes into an already sized vector.
void scales_from_statistics(int bits, ScaleMode mode, int64_t rows, const double* stat,
                            const int64_t* count, std::vector<float>& scales);

}  // namespace bitblock::detail
