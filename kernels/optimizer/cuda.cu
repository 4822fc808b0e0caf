// Optimizer updates on the GPU: one thread per element, the CPU's operations in the CPU's order
// as _rn intrinsics (nvcc would otherwise fuse products and sums into FMAs).
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/optimizer.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void adam_kernel(int64_t n, AdamSettings s, const float* hyper, const float* grad, float* w, float* m,
                            float* v) {
  const float rate = hyper[0], c1 = hyper[1], c2 = hyper[2];
  const float one_b1 = 1.0f - s.beta1, one_b2 = 1.0f - s.beta2;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float wj = w[j];
    const float g = __fadd_rn(grad[j], __fmul_rn(s.weight_decay, wj));
    const float mj = __fadd_rn(__fmul_rn(s.beta1, m[j]), __fmul_rn(one_b1, g));
    const float vj = __fadd_rn(__fmul_rn(s.beta2, v[j]), __fmul_rn(__fmul_rn(one_b2, g), g));
    m[j] = mj;
    v[j] = vj;
    const float num = __fmul_rn(rate, __fmul_rn(mj, c1));
    const float den = __fadd_rn(__fsqrt_rn(__fmul_rn(vj, c2)), s.eps);
    w[j] = __fsub_rn(wj, __fdiv_rn(num, den));
  }
}

__global__ void sgd_kernel(int64_t n, SgdSettings s, const float* hyper, const float* grad, float* w, float* m) {
  const float rate = hyper[0];
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float wj = w[j];
    const float g = __fadd_rn(grad[j], __fmul_rn(s.weight_decay, wj));
    const float mj = __fadd_rn(__fmul_rn(s.momentum, m[j]), g);
    m[j] = mj;
    const float step = s.nesterov ? __fadd_rn(g, __fmul_rn(s.momentum, mj)) : mj;
    w[j] = __fsub_rn(wj, __fmul_rn(rate, step));
  }
}

}  // namespace

void adam_update(int64_t n, const AdamSettings& s, const float* hyper, const float* grad, float* w, float* m, float* v,
                 cudaStream_t stream) {
  if (n == 0) return;
  adam_kernel<<<blocks_for(n), 256, 0, stream>>>(n, s, hyper, grad, w, m, v);
  CUDA_CHECK(cudaGetLastError());
}

void sgd_update(int64_t n, const SgdSettings& s, const float* hyper, const float* grad, float* w, float* m,
                cudaStream_t stream) {
  if (n == 0) return;
  sgd_kernel<<<blocks_for(n), 256, 0, stream>>>(n, s, hyper, grad, w, m);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
