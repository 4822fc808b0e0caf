// Element-wise loops on the CPU: vectorized, OpenMP for conv-sized tensors.
#include <algorithm>

#include "bitblock/kernels/elementwise.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels {

void axpy(int64_t n, float alpha, const float* x, float* y) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void multiply(int64_t n, const float* x, const float* m, float* y) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * m[i];
}

void fill(int64_t n, float value, float* y) { std::fill(y, y + n, value); }

}  // namespace bitblock::kernels
