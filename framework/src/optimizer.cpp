#include "bitblock/framework/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

namespace {
struct AdamStep {
  float b1, b2, correct1, correct2, eps, rate, wd;
};

// Adam on elements [j0, j1). The SSE path (baseline on x86-64) does the same correctly rounded
// single-precision operations as the scalar one, four at a time, so the result per element is the
// same whichever path handles it; it exists because sqrt blocks auto-vectorization (errno).
void adam_update(const AdamStep& a, const float* grad, float* w, float* m, float* v, int64_t j0, int64_t j1) {
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

const char* to_string(OptimizerKind kind) { return kind == OptimizerKind::Sgd ? "sgd" : "adam"; }

OptimizerKind parse_optimizer(const std::string& s, const std::string& where) {
  if (s == "sgd") return OptimizerKind::Sgd;
  if (s == "adam") return OptimizerKind::Adam;
  fail_input(where, "unknown optimizer '" + s + "' (expected sgd or adam)");
}

void validate_optimizer(const OptimizerSettings& s, const std::string& where) {
  auto unit = [&](double v, const char* key) {
    if (!(v >= 0.0 && v < 1.0)) fail_input(where, std::string(key) + " must be in [0, 1), got " + std::to_string(v));
  };
  if (s.kind == OptimizerKind::Sgd) {
    unit(s.momentum, "momentum");
    if (s.nesterov && s.momentum == 0.0) fail_input(where, "nesterov needs momentum > 0");
  } else {
    unit(s.beta1, "beta1");
    unit(s.beta2, "beta2");
    if (!(s.eps > 0.0)) fail_input(where, "eps must be positive, got " + std::to_string(s.eps));
  }
  if (!(s.weight_decay >= 0.0)) fail_input(where, "weight_decay must be >= 0, got " + std::to_string(s.weight_decay));
}

Optimizer::Optimizer(const OptimizerSettings& settings, std::vector<Param> params)
    : settings_(settings), params_(std::move(params)) {
  validate_optimizer(settings_, "optimizer");
  for (const Param& p : params_) {
    first_.emplace_back(p.value->shape(), 0.0f);
    if (settings_.kind == OptimizerKind::Adam) second_.emplace_back(p.value->shape(), 0.0f);
  }
}

void Optimizer::step(double lr) {
  ++step_;
  const auto rate = static_cast<float>(lr);
  const bool adam = settings_.kind == OptimizerKind::Adam;
  const auto mu = static_cast<float>(settings_.momentum);
  const bool nesterov = settings_.nesterov;
  const auto b1 = static_cast<float>(settings_.beta1), b2 = static_cast<float>(settings_.beta2);
  const auto eps = static_cast<float>(settings_.eps);
  const double t = static_cast<double>(step_);
  const auto correct1 = static_cast<float>(1.0 / (1.0 - std::pow(settings_.beta1, t)));
  const auto correct2 = static_cast<float>(1.0 / (1.0 - std::pow(settings_.beta2, t)));
  for (size_t i = 0; i < params_.size(); ++i) {
    float* w = params_[i].value->data();
    const float* grad = params_[i].grad->data();
    float* m = first_[i].data();
    float* v = adam ? second_[i].data() : nullptr;
    const auto wd = params_[i].decay ? static_cast<float>(settings_.weight_decay) : 0.0f;
    const int64_t n = params_[i].value->numel();
    if (first_[i].numel() != n || params_[i].grad->numel() != n)
      throw std::logic_error("Optimizer: parameter " + params_[i].name + " changed size since the optimizer was made");
    if (adam) {
      const AdamStep a{b1, b2, correct1, correct2, eps, rate, wd};
      constexpr int64_t kChunk = 4096;
#pragma omp parallel for schedule(static) if (n >= ops::kParallelMinElements)
      for (int64_t j0 = 0; j0 < n; j0 += kChunk) adam_update(a, grad, w, m, v, j0, std::min(n, j0 + kChunk));
    } else {
#pragma omp parallel for schedule(static) if (n >= ops::kParallelMinElements)
      for (int64_t j = 0; j < n; ++j) {
        const float g = grad[j] + wd * w[j];
        m[j] = mu * m[j] + g;
        w[j] -= rate * (nesterov ? g + mu * m[j] : m[j]);
      }
    }
  }
}

std::vector<Buffer> Optimizer::state() {
  std::vector<Buffer> out;
  const bool adam = settings_.kind == OptimizerKind::Adam;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.push_back({params_[i].name + (adam ? ".m" : ".momentum"), &first_[i]});
    if (adam) out.push_back({params_[i].name + ".v", &second_[i]});
  }
  return out;
}

}  // namespace bitblock
