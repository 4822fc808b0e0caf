// Activations on the GPU: one thread per element through the shared definitions
// (activation_value / activation_passes), so the bits equal the CPU's.
#include "bitblock/kernels/activation.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void forward_kernel(ActFn fn, int bits, float max_value, int64_t n, const float* x, float* y) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = activation_value(fn, bits, max_value, x[i]);
}

__global__ void backward_kernel(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy,
                                float* dx) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dx[i] = activation_passes(fn, bits, max_value, x[i]) ? dy[i] : 0.0f;
}

}  // namespace

void activation_forward(ActFn fn, int bits, float max_value, int64_t n, const float* x, float* y, cudaStream_t stream) {
  if (n == 0) return;
  forward_kernel<<<blocks_for(n), 256, 0, stream>>>(fn, bits, max_value, n, x, y);
  CUDA_CHECK(cudaGetLastError());
}

void activation_backward(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy, float* dx,
                         cudaStream_t stream) {
  if (n == 0) return;
  backward_kernel<<<blocks_for(n), 256, 0, stream>>>(fn, bits, max_value, n, x, dy, dx);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
