// Batch normalisation on the CPU: the loops of cpu_body.hpp, compiled portable here and for AVX2
// and AVX-512 beside it, called for the active ISA (the same bits on each).
#include "batchnorm/cpu_body.hpp"
#include "bitblock/kernels/batchnorm.hpp"
#include "common/isa_table.hpp"

namespace bitblock::kernels {
namespace detail {
const BatchnormCpu batchnorm_portable = kBatchnormCpu;
}  // namespace detail

namespace {
const detail::BatchnormCpu& pick() {
  return detail::isa_pick(detail::batchnorm_portable, detail::batchnorm_avx2, detail::batchnorm_avx512);
}
}  // namespace

void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                             const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                             float* inv_std, float* xhat, float* y, const ActSpec& act) {
  pick().forward_train(x, batch, channels, pixels, gamma, beta, momentum, eps, running_mean, running_var, inv_std,
                       xhat, y, act);
}

void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                            const float* beta, float eps, const float* running_mean, const float* running_var,
                            float* inv_std, float* xhat, float* y, const ActSpec& act) {
  pick().forward_eval(x, batch, channels, pixels, gamma, beta, eps, running_mean, running_var, inv_std, xhat, y, act);
}

void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                        const float* gamma, const float* beta, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad,
                        float* dx, const ActSpec& act) {
  pick().backward(dy, xhat, batch, channels, pixels, gamma, beta, inv_std, trained, gamma_grad, beta_grad, dx, act);
}

}  // namespace bitblock::kernels
