#include "constraint_quantizer.hpp"

#include <algorithm>

namespace bitblock::detail {

void row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                    double* stat, int64_t* count) {
#pragma omp parallel for schedule(static) if (rows * cols >= 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const float* w = latent + r * cols;
    const uint8_t* m = mask + r * cols;
    double acc = 0.0;
    int64_t n = 0;
    if (bits == 1) {
      for (int64_t c = 0; c < cols; ++c)
        if (m[c]) {
          acc += std::fabs(w[c]);
          ++n;
        }
    } else {
      float top = 0.0f;
      for (int64_t c = 0; c < cols; ++c)
        if (m[c]) top = std::max(top, std::fabs(w[c]));
      acc = top;
    }
    stat[r] = acc;
    count[r] = n;
  }
}

void scales_from_statistics(int bits, ScaleMode mode, int64_t rows, const double* stat,
                            const int64_t* count, std::vector<float>& scales) {
  auto to_scale = [bits](double s, int64_t n) {
    if (bits == 1) return n > 0 ? static_cast<float>(s / double(n)) : 0.0f;
    return static_cast<float>(s) / static_cast<float>(max_code(bits));
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
