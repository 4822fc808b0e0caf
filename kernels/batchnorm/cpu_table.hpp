#pragma once
// The batch-norm kernels of one ISA (cpu_body.hpp), as cpu.cpp dispatches them.
#include <cstdint>

#include "bitblock/kernels/activation.hpp"

namespace bitblock::kernels::detail {

struct BatchnormCpu {
  void (*forward_train)(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                        const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                        float* inv_std, float* xhat, float* y, const ActSpec& act);
  void (*forward_eval)(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                       const float* beta, float eps, const float* running_mean, const float* running_var,
                       float* inv_std, float* xhat, float* y, const ActSpec& act);
  void (*backward)(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                   const float* gamma, const float* beta, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad,
                   float* dx, const ActSpec& act);
};

extern const BatchnormCpu batchnorm_portable, batchnorm_avx2, batchnorm_avx512;

}  // namespace bitblock::kernels::detail
