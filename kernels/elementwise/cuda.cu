// Element-wise loops on the GPU: grid-stride, one thread per element. Products and sums use the
// _rn intrinsics so nvcc does not contract them into an FMA the CPU does not do.
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/elementwise.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

#define BB_GRID_LOOP(i, n)                                                                        \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

__global__ void axpy_kernel(int64_t n, float alpha, const float* x, float* y) {
  BB_GRID_LOOP(i, n) y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
}

__global__ void multiply_kernel(int64_t n, const float* x, const float* m, float* y) {
  BB_GRID_LOOP(i, n) y[i] = __fmul_rn(x[i], m[i]);
}

__global__ void fill_kernel(int64_t n, float value, float* y) {
  BB_GRID_LOOP(i, n) y[i] = value;
}

#undef BB_GRID_LOOP

}  // namespace

void axpy(int64_t n, float alpha, const float* x, float* y, cudaStream_t stream) {
  if (n == 0) return;
  axpy_kernel<<<blocks_for(n), 256, 0, stream>>>(n, alpha, x, y);
  CUDA_CHECK(cudaGetLastError());
}

void multiply(int64_t n, const float* x, const float* m, float* y, cudaStream_t stream) {
  if (n == 0) return;
  multiply_kernel<<<blocks_for(n), 256, 0, stream>>>(n, x, m, y);
  CUDA_CHECK(cudaGetLastError());
}

void fill(int64_t n, float value, float* y, cudaStream_t stream) {
  if (n == 0) return;
  fill_kernel<<<blocks_for(n), 256, 0, stream>>>(n, value, y);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
