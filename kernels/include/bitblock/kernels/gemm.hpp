#pragma once
// Dense float GEMM, row-major: C[m, n] = alpha * op(A) op(B) + beta * C. op(A) is [m, k] (A
// stored [k, m] when trans_a), op(B) is [k, n] (B stored [n, k] when trans_b); lda/ldb/ldc are
// row strides in elements. k == 0 gives C = beta * C (beta == 0 writes zeros).
// CPU: OpenBLAS (reproducible for a fixed thread count). CUDA: cuBLAS SGEMM in full fp32 (no
// TF32), one handle per device with a fixed workspace (graph-capturable); cuBLAS results are
// bit-reproducible run to run on the same GPU model (no split-K atomics are requested).
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

namespace reference {
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
}  // namespace reference

namespace cuda {
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
