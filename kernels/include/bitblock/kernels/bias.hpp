#pragma once
// Bias terms of weight layers and their gradients: added per column of a [rows, cols] matrix
// (Linear) or per channel of [batch, channels, pixels] maps (Conv2d), and the matching sums.
// CPU and CUDA add biases identically; column sums run down the rows in order on both (same
// bits); channel sums run serially per channel on the CPU and as a fixed-shape tree per channel
// on the GPU (deterministic, equal to the CPU's within float rounding).
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

// y[r, c] += bias[c] for a [rows, cols] matrix.
void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols);
// out[c] += sum over r of y[r, c], added to out[c] row by row.
void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out);
// y[n, c, p] += bias[c] for [batch, channels, pixels].
void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels);
// out[c] += sum over n, p of y[n, c, p], summed in (n, p) order before the add.
void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out);

namespace reference {
void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols);
void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out);
void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels);
void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out);
}  // namespace reference

namespace cuda {
void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols, cudaStream_t stream);
void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out, cudaStream_t stream);
void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels,
                       cudaStream_t stream);
void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out,
                       cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
