// Batched transpose on the GPU (transpose.hpp): one thread per element (copies only).
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/transpose.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void transpose_kernel(const float* A, int64_t batch, int64_t rows, int64_t cols, int64_t lda,
                                 int64_t a_stride, float* B, int64_t ldb, int64_t b_stride) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < batch * rows * cols;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t s = e / (rows * cols), c = (e / rows) % cols, r = e % rows;  // consecutive threads: consecutive r
    B[s * b_stride + c * ldb + r] = A[s * a_stride + r * lda + c];
  }
}

}  // namespace

void transpose(const float* A, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* B,
               int64_t ldb, int64_t b_stride, cudaStream_t stream) {
  const int64_t total = batch * rows * cols;
  if (total == 0) return;
  transpose_kernel<<<blocks_for(total), 256, 0, stream>>>(A, batch, rows, cols, lda, a_stride, B, ldb, b_stride);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
