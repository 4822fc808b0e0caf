// Activations element by element from their definitions (activation_value, activation_passes).
#include "bitblock/kernels/activation.hpp"

namespace bitblock::kernels::reference {

void activation_forward(ActFn fn, int bits, float max_value, int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = activation_value(fn, bits, max_value, x[i]);
}

void activation_backward(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = activation_passes(fn, bits, max_value, x[i]) ? dy[i] : 0.0f;
}

}  // namespace bitblock::kernels::reference
