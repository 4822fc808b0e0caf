// Dense GEMM on the GPU: cuBLAS SGEMM. Row-major C = op(A) op(B) is column-major
// C^T = op(B)^T op(A)^T, so the operands are passed swapped with their own transposes.
#include "bitblock/kernels/cublas_check.hpp"
#include "common/cublas_library.hpp"
#include "bitblock/kernels/gemm.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

// k == 0: C = beta * C (zeros for beta == 0), which BLAS leaves unspecified.
__global__ void scale_kernel(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < m * n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float& v = c[(e / n) * ldc + e % n];
    v = beta == 0.0f ? 0.0f : beta * v;
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, cudaStream_t stream) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    scale_kernel<<<blocks_for(m * n), 256, 0, stream>>>(m, n, beta, c, ldc);
    CUDA_CHECK(cudaGetLastError());
    return;
  }
  CUBLAS_CHECK(cublas().sgemm(cublas_handle(stream), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                           trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                           static_cast<int>(k), &alpha, b, static_cast<int>(ldb), a, static_cast<int>(lda), &beta, c,
                           static_cast<int>(ldc)));
}

}  // namespace bitblock::kernels::cuda
