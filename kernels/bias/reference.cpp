// Bias terms by definition; sums in double.
#include "bitblock/kernels/bias.hpp"

namespace bitblock::kernels::reference {

void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] += bias[c];
}

void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out) {
  for (int64_t c = 0; c < cols; ++c) {
    double s = out[c];
    for (int64_t r = 0; r < rows; ++r) s += y[r * cols + c];
    out[c] = static_cast<float>(s);
  }
}

void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < pixels; ++p) y[(n * channels + c) * pixels + p] += bias[c];
}

void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out) {
  for (int64_t c = 0; c < channels; ++c) {
    double s = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t p = 0; p < pixels; ++p) s += y[(n * channels + c) * pixels + p];
    out[c] = static_cast<float>(out[c] + s);
  }
}

}  // namespace bitblock::kernels::reference
