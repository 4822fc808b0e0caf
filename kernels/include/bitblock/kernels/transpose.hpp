#pragma once
// Batched float transpose: moves conv activations between the channel-major layout of a sample
// ([C, pixels], NCHW) and the pixel-major rows ([pixels, C]) that the GEMM kernels read and
// write. Copies only, so every path gives the same bits. AVX2 (8 x 8 register tiles) or portable
// by active_isa(); samples and tile rows in parallel for large batches.
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

// For s < batch: B[s * b_stride + c * ldb + r] = A[s * a_stride + r * lda + c], r < rows, c < cols.
void transpose(const float* A, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* B,
               int64_t ldb, int64_t b_stride);

namespace reference {
void transpose(const float* A, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* B,
               int64_t ldb, int64_t b_stride);
}  // namespace reference

namespace cuda {
void transpose(const float* A, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* B,
               int64_t ldb, int64_t b_stride, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
