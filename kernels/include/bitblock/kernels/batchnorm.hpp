#pragma once
// Batch normalisation over the channel axis of [batch, channels, pixels] (pixels = 1 for [N, C]):
// y = gamma * xhat + beta, xhat = (x - mean) * inv_std, inv_std = 1 / sqrt(var + eps).
//  * Training: mean and biased variance of the batch (double sums); running statistics move by
//    running = (1 - momentum) * running + momentum * batch, with the unbiased variance. One value
//    per channel (a last batch of one sample through a linear layer) has no unbiased variance:
//    running_var then stays as it is (the mean still moves); the output is beta (xhat = 0).
//  * Evaluation: mean and variance are the running statistics.
//  * Backward: gamma_grad += sum dy * xhat, beta_grad += sum dy; dx = gamma * inv_std / M *
//    (M dy - sum dy - xhat * sum dy xhat) after a training forward (M = batch * pixels), and
//    gamma * inv_std * dy after an evaluation forward.
//  * With an activation (act, not the identity): the output is activation(gamma * xhat + beta),
//    and backward takes the gradient at the activation's output, gated where the activation's
//    gradient passes at gamma * xhat + beta (activation.hpp): batch norm and the activation after
//    it in one pass, the bits of running them apart.
// CPU: each channel's sums run in 8 lanes over the pixels of image planes (serially for [N, C]),
// added in a fixed tree (independent of the thread count). CUDA: one thread block per channel, a fixed tree over the same terms in double
// (deterministic; equal to the CPU's within rounding); the element-wise parts use the same
// single-precision operations as the CPU.
#include <cstdint>

#include "bitblock/kernels/activation.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                             const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                             float* inv_std, float* xhat, float* y, const ActSpec& act);
void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                            const float* beta, float eps, const float* running_mean, const float* running_var,
                            float* inv_std, float* xhat, float* y, const ActSpec& act);
void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                        const float* gamma, const float* beta, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad,
                        float* dx, const ActSpec& act);

namespace reference {
void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                             const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                             float* inv_std, float* xhat, float* y, const ActSpec& act);
void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                            const float* beta, float eps, const float* running_mean, const float* running_var,
                            float* inv_std, float* xhat, float* y, const ActSpec& act);
void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                        const float* gamma, const float* beta, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad,
                        float* dx, const ActSpec& act);
}  // namespace reference

namespace cuda {
void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                             const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                             float* inv_std, float* xhat, float* y, const ActSpec& act, cudaStream_t stream);
void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                            const float* beta, float eps, const float* running_mean, const float* running_var,
                            float* inv_std, float* xhat, float* y, const ActSpec& act, cudaStream_t stream);
void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                        const float* gamma, const float* beta, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad,
                        float* dx, const ActSpec& act, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
