// Element-wise loops by definition.
#include "bitblock/kernels/elementwise.hpp"

namespace bitblock::kernels::reference {

void axpy(int64_t n, float alpha, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = y[i] + alpha * x[i];
}

void multiply(int64_t n, const float* x, const float* m, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * m[i];
}

void fill(int64_t n, float value, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}

}  // namespace bitblock::kernels::reference
