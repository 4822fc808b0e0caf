#pragma once
// The activation kernels of one ISA (cpu_body.hpp), as cpu.cpp dispatches them.
#include <cstdint>

#include "bitblock/kernels/activation.hpp"

namespace bitblock::kernels::detail {

struct ActivationCpu {
  void (*forward)(ActFn fn, int bits, float max_value, int64_t n, const float* in, float* out);
  void (*backward)(ActFn fn, int bits, float max_value, int64_t n, const float* x, const float* dy, float* out);
};

extern const ActivationCpu activation_portable, activation_avx2, activation_avx512;

}  // namespace bitblock::kernels::detail
