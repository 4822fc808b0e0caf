// Bias terms on the CPU: OpenMP over rows / columns / channels for conv-sized tensors; each sum
// runs in one thread in a fixed order, so results do not depend on the thread count.
#include <algorithm>

#include "bitblock/kernels/bias.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels {

void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] += bias[c];
  }
}

void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out) {
  // Columns are split into chunks; each chunk sums its rows in order in one thread.
  constexpr int64_t kChunk = 64;
  const int64_t chunks = (cols + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElements)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t c0 = chunk * kChunk, c1 = std::min(cols, c0 + kChunk);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = y + r * cols;
      for (int64_t c = c0; c < c1; ++c) out[c] += row[c];
    }
  }
}

void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels) {
#pragma omp parallel for schedule(static) if (batch * channels * pixels >= kParallelMinElements)
  for (int64_t nc = 0; nc < batch * channels; ++nc) {
    const float b = bias[nc % channels];
    float* p = y + nc * pixels;
    for (int64_t i = 0; i < pixels; ++i) p[i] += b;
  }
}

void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out) {
  // A channel's sum is one serial chain of float adds (its bits), which runs at the add latency.
  // kChains channels' chains run side by side, each in its own (n, p) order, so the core overlaps
  // them; groups of channels share out across threads.
  constexpr int64_t kChains = 8;
  const int64_t groups = (channels + kChains - 1) / kChains;
#pragma omp parallel for schedule(static) if (batch * channels * pixels >= kParallelMinElements)
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t c0 = g * kChains;
    if (c0 + kChains <= channels) {
      float sum[kChains] = {};
      for (int64_t n = 0; n < batch; ++n) {
        const float* p = y + (n * channels + c0) * pixels;
        for (int64_t i = 0; i < pixels; ++i)
          for (int64_t j = 0; j < kChains; ++j) sum[j] += p[j * pixels + i];
      }
      for (int64_t j = 0; j < kChains; ++j) out[c0 + j] += sum[j];
      continue;
    }
    for (int64_t c = c0; c < channels; ++c) {
      float sum = 0.0f;
      for (int64_t n = 0; n < batch; ++n) {
        const float* p = y + (n * channels + c) * pixels;
        for (int64_t i = 0; i < pixels; ++i) sum += p[i];
      }
      out[c] += sum;
    }
  }
}

}  // namespace bitblock::kernels
