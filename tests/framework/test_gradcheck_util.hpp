#pragma once
// Finite-difference gradient checks for layers. The scalar probed is f(x, params) = sum_i y_i r_i
// for a fixed random r, so its exact gradient is what backward(r) returns. Central differences
// (f(v + eps) - f(v - eps)) / 2eps in float layers, f summed in double; an element passes when
// |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|). Defaults eps 1e-2, rtol 1e-2,
// atol 1e-3: the float rounding of f divided by 2eps stays near 1e-4 for these small shapes, and
// the curvature terms (eps^2) of the non-linear layers stay well below 1e-2 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/layer.hpp"

namespace bitblock::testing {

inline Tensor random_tensor(const Shape& shape, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(shape);
  for (float& v : t.values()) v = rng.uniform(lo, hi);
  return t;
}

inline double weighted_sum(const Tensor& y, const Tensor& r) {
  double s = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) s += static_cast<double>(y[i]) * r[i];
  return s;
}

struct GradCheck {
  float eps = 1e-2f;
  double rtol = 1e-2;
  double atol = 1e-3;
  // Called on a fresh Context before every forward (training mode by default), e.g. to reset
  // the dropout generator so each forward draws the same mask.
  std::function<void(Context&)> prepare = [](Context&) {};
};

inline bool close(double numeric, double analytic, const GradCheck& opt) {
  return std::fabs(numeric - analytic) <= opt.atol + opt.rtol * std::max(std::fabs(numeric), std::fabs(analytic));
}

// Checks the input gradient and every parameter gradient of `layer` at x.
inline void expect_gradients_match(Layer& layer, Tensor x, const GradCheck& opt = {}) {
  Rng rng(12345);
  Context ctx;
  opt.prepare(ctx);
  const Tensor y = layer.forward(x, ctx);
  const Tensor r = random_tensor(y.shape(), rng);
  std::vector<Param> params = layer.params();
  for (Param& p : params) p.grad->fill(0.0f);
  const Tensor dx = layer.backward(r);
  ASSERT_EQ(dx.shape(), x.shape());
  std::vector<Tensor> grads;
  for (Param& p : params) grads.push_back(*p.grad);

  auto f = [&]() {
    Context c;
    opt.prepare(c);
    return weighted_sum(layer.forward(x, c), r);
  };
  auto numeric = [&](float& v) {
    const float saved = v;
    v = saved + opt.eps;
    const double plus = f();
    v = saved - opt.eps;
    const double minus = f();
    v = saved;
    return (plus - minus) / (2.0 * static_cast<double>(opt.eps));
  };
  int failures = 0;
  for (int64_t i = 0; i < x.numel() && failures < 5; ++i) {
    const double num = numeric(x[i]);
    if (!close(num, dx[i], opt)) {
      ++failures;
      ADD_FAILURE() << layer.describe() << ": d/dx[" << i << "] numeric " << num << " analytic " << dx[i];
    }
  }
  for (size_t k = 0; k < params.size(); ++k) {
    Tensor& value = *params[k].value;
    for (int64_t i = 0; i < value.numel() && failures < 5; ++i) {
      const double num = numeric(value[i]);
      if (!close(num, grads[k][i], opt)) {
        ++failures;
        ADD_FAILURE() << layer.describe() << ": d/d" << params[k].name << "[" << i << "] numeric " << num
                      << " analytic " << grads[k][i];
      }
    }
  }
}

}  // namespace bitblock::testing
