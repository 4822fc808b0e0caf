#pragma once
// Element-wise float loops of the training step (gradient accumulation, masks, zeroing). One
// thread per element everywhere, the same single-precision operation on CPU and CUDA: equal bits.
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

// y[i] += alpha * x[i].
void axpy(int64_t n, float alpha, const float* x, float* y);
// y[i] = x[i] * m[i].
void multiply(int64_t n, const float* x, const float* m, float* y);
// y[i] = value.
void fill(int64_t n, float value, float* y);

namespace reference {
void axpy(int64_t n, float alpha, const float* x, float* y);
void multiply(int64_t n, const float* x, const float* m, float* y);
void fill(int64_t n, float value, float* y);
}  // namespace reference

namespace cuda {
void axpy(int64_t n, float alpha, const float* x, float* y, cudaStream_t stream);
void multiply(int64_t n, const float* x, const float* m, float* y, cudaStream_t stream);
void fill(int64_t n, float value, float* y, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
