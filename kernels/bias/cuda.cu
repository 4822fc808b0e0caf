// Bias terms on the GPU. Column sums: one thread per column adding the rows in order (the CPU's
// order). Channel sums: one 256-thread block per channel, each thread a strided partial sum,
// then a fixed shared-memory tree: deterministic, no atomics.
#include "bitblock/kernels/bias.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void add_bias_rows_kernel(float* y, const float* bias, int64_t rows, int64_t cols) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < rows * cols;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[e] += bias[e % cols];
}

__global__ void sum_rows_kernel(const float* y, int64_t rows, int64_t cols, float* out) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float acc = out[c];
  for (int64_t r = 0; r < rows; ++r) acc += y[r * cols + c];
  out[c] = acc;
}

__global__ void add_bias_channels_kernel(float* y, const float* bias, int64_t batch, int64_t channels,
                                         int64_t pixels) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < batch * channels * pixels;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[e] += bias[(e / pixels) % channels];
}

__global__ void sum_channels_kernel(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out) {
  __shared__ float partial[kThreads];
  const int64_t c = blockIdx.x;
  float acc = 0.0f;
  for (int64_t e = threadIdx.x; e < batch * pixels; e += kThreads)
    acc += y[((e / pixels) * channels + c) * pixels + e % pixels];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) partial[threadIdx.x] += partial[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[c] += partial[0];
}

}  // namespace

void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows * cols == 0) return;
  add_bias_rows_kernel<<<blocks_for(rows * cols), kThreads, 0, stream>>>(y, bias, rows, cols);
  CUDA_CHECK(cudaGetLastError());
}

void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out, cudaStream_t stream) {
  if (cols == 0) return;
  sum_rows_kernel<<<blocks_for(cols), kThreads, 0, stream>>>(y, rows, cols, out);
  CUDA_CHECK(cudaGetLastError());
}

void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels,
                       cudaStream_t stream) {
  const int64_t total = batch * channels * pixels;
  if (total == 0) return;
  add_bias_channels_kernel<<<blocks_for(total), kThreads, 0, stream>>>(y, bias, batch, channels, pixels);
  CUDA_CHECK(cudaGetLastError());
}

void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out,
                       cudaStream_t stream) {
  if (channels == 0) return;
  sum_channels_kernel<<<static_cast<unsigned>(channels), kThreads, 0, stream>>>(y, batch, channels, pixels, out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
