// Optimizer updates element by element, straight from the formulas.
#include <cmath>

#include "bitblock/kernels/optimizer.hpp"

namespace bitblock::kernels::reference {

void adam_update(int64_t n, const AdamSettings& s, const float* hyper, const float* grad, float* w, float* m,
                 float* v) {
  for (int64_t j = 0; j < n; ++j) {
    const float g = grad[j] + s.weight_decay * w[j];
    m[j] = s.beta1 * m[j] + (1.0f - s.beta1) * g;
    v[j] = s.beta2 * v[j] + (1.0f - s.beta2) * g * g;
    w[j] -= hyper[0] * (m[j] * hyper[1]) / (std::sqrt(v[j] * hyper[2]) + s.eps);
  }
}

void sgd_update(int64_t n, const SgdSettings& s, const float* hyper, const float* grad, float* w, float* m) {
  for (int64_t j = 0; j < n; ++j) {
    const float g = grad[j] + s.weight_decay * w[j];
    m[j] = s.momentum * m[j] + g;
    w[j] -= hyper[0] * (s.nesterov ? g + s.momentum * m[j] : m[j]);
  }
}

}  // namespace bitblock::kernels::reference
