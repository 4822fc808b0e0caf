// Batch normalisation channel by channel, straight from the formulas (double statistics).
#include <cmath>

#include "bitblock/kernels/batchnorm.hpp"

namespace bitblock::kernels::reference {
namespace {

void normalize(const float* x, int64_t batch, int64_t channels, int64_t pixels, int64_t c, float mean, float inv,
               float g, float b, float* xhat, float* y, const ActSpec& act) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t p = 0; p < pixels; ++p) {
      const int64_t i = (n * channels + c) * pixels + p;
      xhat[i] = (x[i] - mean) * inv;
      y[i] = activation_value(act.fn, act.bits, act.max, g * xhat[i] + b);
    }
}

}  // namespace

void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                             const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                             float* inv_std, float* xhat, float* y, const ActSpec& act) {
  const auto count = static_cast<double>(batch * pixels);
  for (int64_t c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t p = 0; p < pixels; ++p) sum += x[(n * channels + c) * pixels + p];
    const double mean = sum / count;
    double sq = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t p = 0; p < pixels; ++p) {
        const double d = x[(n * channels + c) * pixels + p] - mean;
        sq += d * d;
      }
    running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
    if (count > 1)
      running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] + momentum * (sq / (count - 1.0)));
    inv_std[c] = static_cast<float>(1.0 / std::sqrt(sq / count + eps));
    normalize(x, batch, channels, pixels, c, static_cast<float>(mean), inv_std[c], gamma[c], beta[c], xhat, y, act);
  }
}

void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                            const float* beta, float eps, const float* running_mean, const float* running_var,
                            float* inv_std, float* xhat, float* y, const ActSpec& act) {
  for (int64_t c = 0; c < channels; ++c) {
    inv_std[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps));
    normalize(x, batch, channels, pixels, c, running_mean[c], inv_std[c], gamma[c], beta[c], xhat, y, act);
  }
}

void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                        const float* gamma, const float* beta, const float* inv_std, bool trained, float* gamma_grad,
                        float* beta_grad, float* dx, const ActSpec& act) {
  const auto count = static_cast<double>(batch * pixels);
  // With an activation, dy is the gradient at its output: gated at its input.
  auto grad = [&](int64_t c, int64_t i) {
    return activation_passes(act.fn, act.bits, act.max, gamma[c] * xhat[i] + beta[c]) ? dy[i] : 0.0f;
  };
  for (int64_t c = 0; c < channels; ++c) {
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t p = 0; p < pixels; ++p) {
        const int64_t i = (n * channels + c) * pixels + p;
        sum_dy += grad(c, i);
        sum_dy_xhat += static_cast<double>(grad(c, i)) * xhat[i];
      }
    gamma_grad[c] += static_cast<float>(sum_dy_xhat);
    beta_grad[c] += static_cast<float>(sum_dy);
    const double scale = static_cast<double>(gamma[c]) * inv_std[c];
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t p = 0; p < pixels; ++p) {
        const int64_t i = (n * channels + c) * pixels + p;
        dx[i] = trained ? static_cast<float>(scale * (grad(c, i) - sum_dy / count - xhat[i] * (sum_dy_xhat / count)))
                        : static_cast<float>(scale * grad(c, i));
      }
  }
}

}  // namespace bitblock::kernels::reference
