#pragma once
// The CPU's per-element activation functions as inlinable lambdas: with_activation(spec, f) calls
// f(value, passes) with the forward function and the gradient's gate of spec (activation.hpp), so
// a loop over elements vectorizes for each activation. The activation kernels (cpu_body.hpp) and
// batch norm with its activation in the same pass (batchnorm/cpu_body.hpp) both use them, so the
// two paths give the same bits.
#include <algorithm>
#include <cmath>

#include "bitblock/kernels/activation.hpp"

namespace bitblock::kernels::detail {
namespace {

template <typename F>
void with_activation(const ActSpec& a, F f) {
  const auto levels = static_cast<float>(activation_levels(a.fn, a.bits));
  const float max = a.max;
  switch (a.fn) {
    case ActFn::Identity: f([](float v) { return v; }, [](float) { return true; }); return;
    case ActFn::Sign:
      f([](float v) { return v >= 0.0f ? 1.0f : -1.0f; }, [](float v) { return std::fabs(v) <= 1.0f; });
      return;
    case ActFn::Relu:
      if (a.bits == 32) {
        f([](float v) { return v > 0.0f ? v : 0.0f; }, [](float v) { return v > 0.0f; });
      } else {
        f([levels, max](float v) { return act::relu_levels(v, levels, max); },
          [max](float v) { return (v > 0.0f) & (v < max); });
      }
      return;
    case ActFn::Hardtanh:
      if (a.bits == 32) {
        f([](float v) { return std::clamp(v, -1.0f, 1.0f); }, [](float v) { return std::fabs(v) < 1.0f; });
      } else {
        f([levels](float v) { return act::hardtanh_levels(v, levels); }, [](float v) { return std::fabs(v) < 1.0f; });
      }
      return;
  }
}

}  // namespace
}  // namespace bitblock::kernels::detail
