#include "bitblock/framework/batchnorm.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

namespace {
// Channels are processed in blocks (parallel across blocks for large tensors). Inside a block the
// loops run sample -> channel -> pixel, so memory is read in order for both [N, C] and
// [N, C, H, W], and each channel's sums (double) run serially in (sample, pixel) order: results
// do not depend on the thread count.
constexpr int64_t kBlock = 64;
using Sums = std::array<double, kBlock>;

// Image planes are long enough to stream one channel at a time (more blocks to share out).
// fn(c0, c1, npix) gets the pixel count as std::integral_constant 1 for [N, C] inputs, so the
// pixel loops vanish at compile time and the channel loops vectorize.
template <typename Fn>
void over_channel_blocks(int64_t channels, int64_t pixels, int64_t numel, Fn fn) {
  const int64_t block = pixels >= kBlock ? 1 : kBlock;
  const int64_t blocks = (channels + block - 1) / block;
#pragma omp parallel for schedule(static) if (numel >= ops::kParallelMinElements)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t c0 = b * block, c1 = std::min(channels, (b + 1) * block);
    if (pixels == 1) {
      fn(c0, c1, std::integral_constant<int64_t, 1>{});
    } else {
      fn(c0, c1, pixels);
    }
  }
}
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
  over_channel_blocks(channels, pixels, x.numel(), [&](int64_t c0, int64_t c1, auto npix) {
    Sums mean{}, sq{};
    if (trained_) {
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t c = c0; c < c1; ++c) {
          const float* v = in + (n * channels + c) * npix;
          for (int64_t p = 0; p < npix; ++p) mean[c - c0] += v[p];
        }
      for (int64_t c = c0; c < c1; ++c) mean[c - c0] /= static_cast<double>(count);
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t c = c0; c < c1; ++c) {
          const float* v = in + (n * channels + c) * npix;
          const double m = mean[c - c0];
          for (int64_t p = 0; p < npix; ++p) sq[c - c0] += (v[p] - m) * (v[p] - m);
        }
      for (int64_t c = c0; c < c1; ++c) {
        const double var = sq[c - c0] / static_cast<double>(count);
        const double unbiased = sq[c - c0] / static_cast<double>(count - 1);
        running_mean_[c] = static_cast<float>((1.0 - momentum_) * running_mean_[c] + momentum_ * mean[c - c0]);
        running_var_[c] = static_cast<float>((1.0 - momentum_) * running_var_[c] + momentum_ * unbiased);
        inv_std_[c] = static_cast<float>(1.0 / std::sqrt(var + eps_));
      }
    } else {
      for (int64_t c = c0; c < c1; ++c) {
        mean[c - c0] = running_mean_[c];
        inv_std_[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(running_var_[c]) + eps_));
      }
    }
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t base = (n * channels + c) * npix;
        const auto m = static_cast<float>(mean[c - c0]);
        const float inv = inv_std_[c], g = gamma_[c], b = beta_[c];
        for (int64_t p = 0; p < npix; ++p) {
          const float v = (in[base + p] - m) * inv;
          xh[base + p] = v;
          out[base + p] = g * v + b;
        }
      }
  });
  return y;
}

Tensor BatchNorm::backward(const Tensor& grad_y) {
  if (grad_y.shape() != xhat_.shape() || xhat_.empty())
    fail_input("batchnorm", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(xhat_.shape()));
  const int64_t batch = grad_y.dim(0), channels = features_, pixels = grad_y.numel() / (batch * channels);
  const auto count = static_cast<double>(batch * pixels);
  Tensor dx(grad_y.shape());
  const float* dy = grad_y.data();
  const float* xh = xhat_.data();
  float* out = dx.data();
  over_channel_blocks(channels, pixels, grad_y.numel(), [&](int64_t c0, int64_t c1, auto npix) {
    Sums sum_dy{}, sum_dy_xhat{};
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t base = (n * channels + c) * npix;
        for (int64_t p = 0; p < npix; ++p) {
          sum_dy[c - c0] += dy[base + p];
          sum_dy_xhat[c - c0] += static_cast<double>(dy[base + p]) * xh[base + p];
        }
      }
    for (int64_t c = c0; c < c1; ++c) {
      gamma_grad_[c] += static_cast<float>(sum_dy_xhat[c - c0]);
      beta_grad_[c] += static_cast<float>(sum_dy[c - c0]);
    }
    // Training: the batch statistics depend on x, dx = g*inv/M * (M*dy - sum dy - xhat * sum dy*xhat);
    // evaluation: dx = g*inv*dy.
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t base = (n * channels + c) * npix;
        const float scale = gamma_[c] * inv_std_[c];
        const float mean_dy = trained_ ? static_cast<float>(sum_dy[c - c0] / count) : 0.0f;
        const float mean_dy_xhat = trained_ ? static_cast<float>(sum_dy_xhat[c - c0] / count) : 0.0f;
        for (int64_t p = 0; p < npix; ++p)
          out[base + p] = scale * (dy[base + p] - mean_dy - xh[base + p] * mean_dy_xhat);
      }
  });
  return dx;
}

std::vector<Param> BatchNorm::params() {
  return {{"gamma", &gamma_, &gamma_grad_, false}, {"beta", &beta_, &beta_grad_, false}};
}

std::vector<Buffer> BatchNorm::buffers() {
  return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
}

}  // namespace bitblock
