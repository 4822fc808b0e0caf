// Losses: hand-computed values and gradients, numerical stability, batch means, argmax
// counting, finite-difference gradients.
#include <gtest/gtest.h>

#include <cmath>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/loss.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

TEST(CrossEntropy, ValueAndGradientByHand) {
  const Tensor logits({1, 3}, {1.0f, 2.0f, 3.0f});
  const int32_t label = 2;
  Tensor d;
  const LossResult r = softmax_cross_entropy(logits, &label, &d);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(r.loss, std::log(z) - 3.0, 1e-9);  // 0.4076...
  EXPECT_EQ(r.correct, 1);
  EXPECT_NEAR(d[0], std::exp(1.0) / z, 1e-7);
  EXPECT_NEAR(d[1], std::exp(2.0) / z, 1e-7);
  EXPECT_NEAR(d[2], std::exp(3.0) / z - 1.0, 1e-7);
}

TEST(CrossEntropy, StableForHugeLogitsAndMeanOverBatch) {
  const Tensor logits({2, 2}, {1000.0f, 0.0f, 1000.0f, 0.0f});
  const int32_t labels[] = {0, 1};
  Tensor d;
  const LossResult r = softmax_cross_entropy(logits, labels, &d);
  EXPECT_NEAR(r.loss, (0.0 + 1000.0) / 2.0, 1e-6);
  EXPECT_EQ(r.correct, 1);
  EXPECT_NEAR(d[0], 0.0, 1e-7);
  EXPECT_NEAR(d[2], 0.5, 1e-7);  // (1 - 0) / batch
  EXPECT_NEAR(d[3], -0.5, 1e-7);
  EXPECT_NO_THROW(softmax_cross_entropy(logits, labels, nullptr));
}

TEST(SquaredHinge, ValueAndGradientByHand) {
  const Tensor logits({2, 3}, {0.5f, -2.0f, 0.3f, 0.0f, 0.0f, 2.0f});
  const int32_t labels[] = {0, 2};
  Tensor d;
  const LossResult r = squared_hinge(logits, labels, &d);
  // Sample 0, t = (+1, -1, -1): margins 0.5, 0, 1.3 -> 0.25 + 0 + 1.69 = 1.94.
  // Sample 1, t = (-1, -1, +1): margins 1, 1, 0 -> 2.
  EXPECT_NEAR(r.loss, (1.94 + 2.0) / 2.0, 1e-6);
  EXPECT_EQ(r.correct, 2);
  const std::vector<float> expected{-0.5f, 0.0f, 1.3f, 1.0f, 1.0f, 0.0f};  // -2 t margin / batch
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(d[i], expected[static_cast<size_t>(i)], 1e-6) << i;
}

TEST(Losses, GradientsMatchFiniteDifferences) {
  Rng rng(70);
  Tensor logits = testing::random_tensor({4, 5}, rng, -2.0f, 2.0f);
  const int32_t labels[] = {0, 3, 4, 1};
  for (LossKind kind : {LossKind::CrossEntropy, LossKind::SquaredHinge}) {
    Tensor d;
    compute_loss(kind, logits, labels, &d);
    const float eps = 1e-3f;
    for (int64_t i = 0; i < logits.numel(); ++i) {
      const float saved = logits[i];
      logits[i] = saved + eps;
      const double plus = compute_loss(kind, logits, labels, nullptr).loss;
      logits[i] = saved - eps;
      const double minus = compute_loss(kind, logits, labels, nullptr).loss;
      logits[i] = saved;
      const double num = (plus - minus) / (2.0 * eps);
      EXPECT_NEAR(num, d[i], 1e-4 + 1e-3 * std::fabs(num)) << to_string(kind) << " " << i;
    }
  }
}

TEST(Losses, CountCorrectTakesTheFirstMaximum) {
  const Tensor logits({3, 3}, {1, 1, 0, 0, 2, 2, 5, 1, 1});
  const int32_t labels[] = {0, 2, 0};
  EXPECT_EQ(count_correct(logits, labels), 2);
}

TEST(Losses, RejectsBadLabelsAndNames) {
  const Tensor logits({1, 3}, {1, 2, 3});
  const int32_t bad = 3;
  EXPECT_THROW(softmax_cross_entropy(logits, &bad, nullptr), InputError);
  EXPECT_THROW(squared_hinge(logits, &bad, nullptr), InputError);
  EXPECT_EQ(parse_name(kLossNames, "squared_hinge", "loss"), LossKind::SquaredHinge);
  EXPECT_THROW(parse_name(kLossNames, "mse", "loss"), InputError);
}

}  // namespace
}  // namespace bitblock
