#include "bitblock/framework/batchnorm.hpp"

#include <cmath>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {
// Per-channel work is parallel over channels; each channel's sums run serially (double) in
// (sample, pixel) order, so results do not depend on the thread count.
constexpr int64_t kParallelMin = 1 << 15;
}  // namespace

BatchNorm::BatchNorm(int64_t features, float momentum, float eps)
    : features_(features), momentum_(momentum), eps_(eps) {
  if (features_ <= 0) fail_input("batchnorm", "features must be positive, got " + std::to_string(features_));
  if (!(momentum_ >= 0.0f && momentum_ <= 1.0f)) fail_input("batchnorm", "momentum must be in [0, 1]");
  if (!(eps_ > 0.0f)) fail_input("batchnorm", "eps must be positive");
  gamma_ = Tensor({features_}, 1.0f);
  beta_ = Tensor({features_}, 0.0f);
  gamma_grad_ = Tensor({features_});
  beta_grad_ = Tensor({features_});
  running_mean_ = Tensor({features_}, 0.0f);
  running_var_ = Tensor({features_}, 1.0f);
  inv_std_ = Tensor({features_});
}

std::string BatchNorm::describe() const { return "batchnorm " + std::to_string(features_); }

Shape BatchNorm::output_shape(const Shape& input) const {
  if ((input.size() != 1 && input.size() != 3) || input[0] != features_)
    fail_input("batchnorm", "expects [" + std::to_string(features_) + "] or [" + std::to_string(features_) +
                                ", H, W] input, got " + shape_str(input));
  return input;
}

Tensor BatchNorm::forward(const Tensor& x, Context& ctx) {
  if (x.rank() != 2 && x.rank() != 4) fail_input("batchnorm", "expects [N, C] or [N, C, H, W], got " + shape_str(x.shape()));
  output_shape(Shape(x.shape().begin() + 1, x.shape().end()));
  const int64_t batch = x.dim(0), channels = features_, pixels = x.numel() / (batch * channels);
  const int64_t count = batch * pixels;
  trained_ = ctx.training;
  if (trained_ && count < 2) fail_input("batchnorm", "training needs at least 2 values per channel, got " + std::to_string(count));
  xhat_.resize(x.shape());
  Tensor y(x.shape());
  const float* in = x.data();
  float* xh = xhat_.data();
  float* out = y.data();
#pragma omp parallel for schedule(static) if (x.numel() >= kParallelMin)
  for (int64_t c = 0; c < channels; ++c) {
    double mean, var;
    if (trained_) {
      double sum = 0.0;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t p = 0; p < pixels; ++p) sum += in[(n * channels + c) * pixels + p];
      mean = sum / static_cast<double>(count);
      double sq = 0.0;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t p = 0; p < pixels; ++p) {
          const double d = in[(n * channels + c) * pixels + p] - mean;
          sq += d * d;
        }
      var = sq / static_cast<double>(count);
      const double unbiased = sq / static_cast<double>(count - 1);
      running_mean_[c] = static_cast<float>((1.0 - momentum_) * running_mean_[c] + momentum_ * mean);
      running_var_[c] = static_cast<float>((1.0 - momentum_) * running_var_[c] + momentum_ * unbiased);
    } else {
      mean = running_mean_[c];
      var = running_var_[c];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps_));
    const auto m = static_cast<float>(mean);
    const float g = gamma_[c], b = beta_[c];
    inv_std_[c] = inv;
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t base = (n * channels + c) * pixels;
      for (int64_t p = 0; p < pixels; ++p) {
        const float v = (in[base + p] - m) * inv;
        xh[base + p] = v;
        out[base + p] = g * v + b;
      }
    }
  }
  return y;
}

Tensor BatchNorm::backward(const Tensor& grad_y) {
  if (grad_y.shape() != xhat_.shape() || xhat_.empty())
    fail_input("batchnorm", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(xhat_.shape()));
  const int64_t batch = grad_y.dim(0), channels = features_, pixels = grad_y.numel() / (batch * channels);
  const int64_t count = batch * pixels;
  Tensor dx(grad_y.shape());
  const float* dy = grad_y.data();
  const float* xh = xhat_.data();
  float* out = dx.data();
#pragma omp parallel for schedule(static) if (grad_y.numel() >= kParallelMin)
  for (int64_t c = 0; c < channels; ++c) {
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t p = 0; p < pixels; ++p) {
        const int64_t i = (n * channels + c) * pixels + p;
        sum_dy += dy[i];
        sum_dy_xhat += static_cast<double>(dy[i]) * xh[i];
      }
    gamma_grad_[c] += static_cast<float>(sum_dy_xhat);
    beta_grad_[c] += static_cast<float>(sum_dy);
    const float scale = gamma_[c] * inv_std_[c];
    // Training: the batch statistics depend on x, dx = g*inv/M * (M*dy - sum dy - xhat * sum dy*xhat).
    const float mean_dy = trained_ ? static_cast<float>(sum_dy / static_cast<double>(count)) : 0.0f;
    const float mean_dy_xhat = trained_ ? static_cast<float>(sum_dy_xhat / static_cast<double>(count)) : 0.0f;
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t base = (n * channels + c) * pixels;
      for (int64_t p = 0; p < pixels; ++p)
        out[base + p] = scale * (dy[base + p] - mean_dy - xh[base + p] * mean_dy_xhat);
    }
  }
  return dx;
}

std::vector<Param> BatchNorm::params() {
  return {{"gamma", &gamma_, &gamma_grad_, false}, {"beta", &beta_, &beta_grad_, false}};
}

std::vector<Buffer> BatchNorm::buffers() {
  return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
}

}  // namespace bitblock
