// BatchNorm: the textbook formula in double, running statistics by hand, evaluation mode, and
// finite-difference gradients in training mode for [N, C] and [N, C, H, W].
#include <gtest/gtest.h>

#include <cmath>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/batchnorm.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;

TEST(BatchNorm, FourValuesByHand) {
  BatchNorm bn(1);
  bn.gamma()[0] = 2.0f;
  bn.beta()[0] = 0.5f;
  Context ctx;
  const Tensor y = bn.forward(Tensor({4, 1}, {1, 2, 3, 4}), ctx);
  // mean 2.5, biased variance 1.25, unbiased 5/3.
  const double inv = 1.0 / std::sqrt(1.25 + 1e-5);
  const double xs[] = {1, 2, 3, 4};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], 2.0 * (xs[i] - 2.5) * inv + 0.5, 1e-5);
  EXPECT_NEAR(bn.running_mean()[0], 0.25, 1e-7);
  EXPECT_NEAR(bn.running_var()[0], 0.9 + 0.1 * 5.0 / 3.0, 1e-6);
}

// Issue 22: a last batch of one sample (60000 % 7 == 1) left NaN (0 / 0) in running_var, which
// the end-of-epoch evaluation then turned into a NaN loss.
TEST(BatchNorm, OneSampleTrainsAndKeepsTheRunningVariance) {
  BatchNorm bn(2);
  bn.beta().values() = {0.25f, -1.0f};
  bn.running_var().values() = {0.5f, 2.0f};
  Context ctx;
  const Tensor y = bn.forward(Tensor({1, 2}, {3.0f, -7.0f}), ctx);
  // One value per channel: xhat = 0, so y = beta; the mean moves, the variance cannot be estimated.
  EXPECT_EQ(y[0], 0.25f);
  EXPECT_EQ(y[1], -1.0f);
  EXPECT_NEAR(bn.running_mean()[0], 0.3, 1e-7);
  EXPECT_NEAR(bn.running_mean()[1], -0.7, 1e-7);
  EXPECT_EQ(bn.running_var()[0], 0.5f);
  EXPECT_EQ(bn.running_var()[1], 2.0f);
  const Tensor dx = bn.backward(Tensor({1, 2}, {1.0f, 2.0f}));
  EXPECT_EQ(dx[0], 0.0f);  // the output does not depend on the input
  EXPECT_EQ(dx[1], 0.0f);
  EXPECT_EQ(bn.beta_grad()[0], 1.0f);
}

TEST(BatchNorm, TrainingMatchesTextbookForImages) {
  const int64_t n = 3, c = 2, h = 2, w = 3, m = n * h * w;
  BatchNorm bn(c);
  Rng rng(20);
  bn.gamma().values() = {1.5f, -0.5f};
  bn.beta().values() = {0.2f, 1.0f};
  const Tensor x = random_tensor({n, c, h, w}, rng, -2.0f, 3.0f);
  Context ctx;
  const Tensor y = bn.forward(x, ctx);
  for (int64_t ch = 0; ch < c; ++ch) {
    double mean = 0.0, var = 0.0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t p = 0; p < h * w; ++p) mean += x[(s * c + ch) * h * w + p];
    mean /= m;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t p = 0; p < h * w; ++p) var += std::pow(x[(s * c + ch) * h * w + p] - mean, 2);
    for (int64_t s = 0; s < n; ++s)
      for (int64_t p = 0; p < h * w; ++p) {
        const int64_t i = (s * c + ch) * h * w + p;
        EXPECT_NEAR(y[i], bn.gamma()[ch] * (x[i] - mean) / std::sqrt(var / m + 1e-5) + bn.beta()[ch], 1e-5);
      }
    EXPECT_NEAR(bn.running_mean()[ch], 0.1 * mean, 1e-6);
    EXPECT_NEAR(bn.running_var()[ch], 0.9 + 0.1 * var / (m - 1), 1e-6);
  }
}

TEST(BatchNorm, EvaluationUsesRunningStatisticsAndLeavesThem) {
  BatchNorm bn(2);
  bn.running_mean().values() = {1.0f, -2.0f};
  bn.running_var().values() = {4.0f, 0.25f};
  bn.gamma().values() = {2.0f, 1.0f};
  bn.beta().values() = {0.0f, 3.0f};
  Context ctx;
  ctx.training = false;
  const Tensor y = bn.forward(Tensor({1, 2}, {5.0f, -1.0f}), ctx);  // a batch of one is fine in evaluation
  EXPECT_NEAR(y[0], 2.0 * 4.0 / std::sqrt(4.0 + 1e-5), 1e-5);
  EXPECT_NEAR(y[1], 1.0 / std::sqrt(0.25 + 1e-5) + 3.0, 1e-5);
  EXPECT_EQ(bn.running_mean().values(), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(bn.running_var().values(), (std::vector<float>{4.0f, 0.25f}));
}

TEST(BatchNorm, GradientsMatchFiniteDifferencesInTraining) {
  Rng rng(21);
  BatchNorm flat(3);
  for (float& g : flat.gamma().values()) g = rng.uniform(0.5f, 1.5f);
  for (float& b : flat.beta().values()) b = rng.uniform(-0.5f, 0.5f);
  testing::GradCheck opt;
  opt.eps = 1e-2f;
  expect_gradients_match(flat, random_tensor({5, 3}, rng, -2.0f, 2.0f), opt);
  BatchNorm image(2);
  for (float& g : image.gamma().values()) g = rng.uniform(0.5f, 1.5f);
  expect_gradients_match(image, random_tensor({2, 2, 3, 2}, rng, -2.0f, 2.0f), opt);
}

TEST(BatchNorm, GradientsMatchFiniteDifferencesInEvaluation) {
  Rng rng(22);
  BatchNorm bn(3);
  bn.running_mean().values() = {0.1f, -0.2f, 0.3f};
  bn.running_var().values() = {0.5f, 2.0f, 1.0f};
  testing::GradCheck opt;
  opt.prepare = [](Context& c) { c.training = false; };
  expect_gradients_match(bn, random_tensor({4, 3}, rng), opt);
}

TEST(BatchNorm, ParamsAndBuffersByName) {
  BatchNorm bn(4);
  const auto params = bn.params();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].name, "gamma");
  EXPECT_EQ(params[1].name, "beta");
  EXPECT_FALSE(params[0].decay || params[1].decay);
  const auto buffers = bn.buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].name, "running_mean");
  EXPECT_EQ(buffers[1].name, "running_var");
  EXPECT_EQ(bn.output_shape({4, 3, 3}), (Shape{4, 3, 3}));
  EXPECT_THROW(bn.output_shape({3}), InputError);
  EXPECT_THROW(BatchNorm(0), InputError);
}

}  // namespace
}  // namespace bitblock
