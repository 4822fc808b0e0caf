// Optimizer updates on the CPU: OpenMP chunks for large tensors. Adam has an SSE path (baseline
// on x86-64) doing the same correctly rounded single-precision operations as the scalar loop,
// four at a time, so the result per element is the same whichever path handles it; it exists
// because sqrt blocks auto-vectorization (errno).
#include <algorithm>
#include <cmath>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bitblock/kernels/optimizer.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels {
namespace {

struct AdamStep {
  float b1, b2, correct1, correct2, eps, rate, wd;
};

// Adam on elements [j0, j1).
void adam_range(const AdamStep& a, const float* grad, float* w, float* m, float* v, int64_t j0, int64_t j1) {
  int64_t j = j0;
#if defined(__SSE2__)
  const __m128 b1 = _mm_set1_ps(a.b1), b2 = _mm_set1_ps(a.b2), one_b1 = _mm_set1_ps(1.0f - a.b1),
               one_b2 = _mm_set1_ps(1.0f - a.b2), c1 = _mm_set1_ps(a.correct1), c2 = _mm_set1_ps(a.correct2),
               eps = _mm_set1_ps(a.eps), rate = _mm_set1_ps(a.rate), wd = _mm_set1_ps(a.wd);
  for (; j + 4 <= j1; j += 4) {
    const __m128 wj = _mm_loadu_ps(w + j);
    const __m128 g = _mm_add_ps(_mm_loadu_ps(grad + j), _mm_mul_ps(wd, wj));
    const __m128 mj = _mm_add_ps(_mm_mul_ps(b1, _mm_loadu_ps(m + j)), _mm_mul_ps(one_b1, g));
    const __m128 vj = _mm_add_ps(_mm_mul_ps(b2, _mm_loadu_ps(v + j)), _mm_mul_ps(_mm_mul_ps(one_b2, g), g));
    _mm_storeu_ps(m + j, mj);
    _mm_storeu_ps(v + j, vj);
    const __m128 num = _mm_mul_ps(rate, _mm_mul_ps(mj, c1));
    const __m128 den = _mm_add_ps(_mm_sqrt_ps(_mm_mul_ps(vj, c2)), eps);
    _mm_storeu_ps(w + j, _mm_sub_ps(wj, _mm_div_ps(num, den)));
  }
#endif
  for (; j < j1; ++j) {
    const float g = grad[j] + a.wd * w[j];
    m[j] = a.b1 * m[j] + (1.0f - a.b1) * g;
    v[j] = a.b2 * v[j] + (1.0f - a.b2) * g * g;
    w[j] -= a.rate * (m[j] * a.correct1) / (std::sqrt(v[j] * a.correct2) + a.eps);
  }
}

}  // namespace

void adam_update(int64_t n, const AdamSettings& s, const float* hyper, const float* grad, float* w, float* m,
                 float* v) {
  const AdamStep a{s.beta1, s.beta2, hyper[1], hyper[2], s.eps, hyper[0], s.weight_decay};
  constexpr int64_t kChunk = 4096;
#pragma omp parallel for schedule(static) if (n >= kParallelMinElements)
  for (int64_t j0 = 0; j0 < n; j0 += kChunk) adam_range(a, grad, w, m, v, j0, std::min(n, j0 + kChunk));
}

void sgd_update(int64_t n, const SgdSettings& s, const float* hyper, const float* grad, float* w, float* m) {
  const float rate = hyper[0], mu = s.momentum, wd = s.weight_decay;
  const bool nesterov = s.nesterov;
#pragma omp parallel for schedule(static) if (n >= kParallelMinElements)
  for (int64_t j = 0; j < n; ++j) {
    const float g = grad[j] + wd * w[j];
    m[j] = mu * m[j] + g;
    w[j] -= rate * (nesterov ? g + mu * m[j] : m[j]);
  }
}

}  // namespace bitblock::kernels
