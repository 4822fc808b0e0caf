// Linear: hand-computed forward/backward, finite-difference gradients, init range, and the
// constraint wiring (masked float and binary weights, after-step clipping).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/linear.hpp"
#include "bitblock/framework/sequential.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;

TEST(Linear, ForwardBackwardByHand) {
  Linear layer(2, 2);
  layer.weights()->weight().values() = {1, 2, 3, 4};
  layer.weights()->bias().values() = {0.5f, -1.0f};
  Context ctx;
  const Tensor y = layer.forward(Tensor({2, 2}, {1, 1, 2, -1}), ctx);
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(y.values(), (std::vector<float>{3.5f, 6.0f, 0.5f, 1.0f}));
  const Tensor dx = layer.backward(Tensor({2, 2}, {1, 0, 0, 1}));
  EXPECT_EQ(dx.values(), (std::vector<float>{1, 2, 3, 4}));        // dy W
  EXPECT_EQ(layer.weights()->weight_grad().values(), (std::vector<float>{1, 1, 2, -1}));  // dy^T x
  EXPECT_EQ(layer.weights()->bias_grad().values(), (std::vector<float>{1, 1}));
  layer.backward(Tensor({2, 2}, {1, 0, 0, 1}));  // gradients accumulate
  EXPECT_EQ(layer.weights()->weight_grad().values(), (std::vector<float>{2, 2, 4, -2}));
  EXPECT_EQ(layer.weights()->bias_grad().values(), (std::vector<float>{2, 2}));
}

TEST(Linear, AcceptsImageShapedInputAndKeepsItsShapeInDx) {
  Linear layer(4, 3);
  Rng rng(1);
  layer.weights()->init(rng);
  Context ctx;
  const Tensor x = random_tensor({2, 1, 2, 2}, rng);
  EXPECT_EQ(layer.forward(x, ctx).shape(), (Shape{2, 3}));
  EXPECT_EQ(layer.backward(Tensor({2, 3}, 1.0f)).shape(), x.shape());
  EXPECT_EQ(layer.output_shape({1, 2, 2}), (Shape{3}));
  EXPECT_THROW(layer.output_shape({5}), InputError);
  EXPECT_THROW(layer.forward(Tensor({2, 5}), ctx), InputError);
}

TEST(Linear, GradientsMatchFiniteDifferences) {
  Rng rng(2);
  Linear layer(5, 4);
  layer.weights()->init(rng);
  for (float& b : layer.weights()->bias().values()) b = rng.uniform(-0.5f, 0.5f);
  expect_gradients_match(layer, random_tensor({3, 5}, rng));
  Linear no_bias(3, 2, false);
  no_bias.weights()->init(rng);
  EXPECT_EQ(no_bias.params().size(), 1u);
  expect_gradients_match(no_bias, random_tensor({4, 3}, rng));
}

TEST(Linear, KaimingUniformInit) {
  Linear layer(600, 50);
  Rng rng(3);
  layer.weights()->bias().fill(7.0f);
  layer.weights()->init(rng);
  const float bound = std::sqrt(6.0f / 600.0f);
  double sum_sq = 0.0;
  for (float w : layer.weights()->weight().values()) {
    EXPECT_LE(std::fabs(w), bound);
    sum_sq += static_cast<double>(w) * w;
  }
  // Variance of U(-b, b) is b^2 / 3 = 2 / fan_in.
  EXPECT_NEAR(sum_sq / 30000.0, 2.0 / 600.0, 2.0 / 600.0 * 0.05);
  for (float b : layer.weights()->bias().values()) EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(layer.macs({600}), 30000);
}

TEST(Linear, MaskedFloatConstraintOnlyKeptWeightsLearn) {
  ConstraintSpec spec;
  spec.structure = Structure::Element;
  spec.ratio = 2.0;
  const int64_t in = 6, out = 4, batch = 3;
  auto constraint = std::make_unique<WeightConstraint>(spec, out, in, 99);
  WeightConstraint* c = constraint.get();
  Linear layer(in, out, true, std::move(constraint));
  EXPECT_EQ(layer.constraint(), c);
  Rng rng(4);
  layer.weights()->init(rng);
  for (float& b : layer.weights()->bias().values()) b = rng.uniform(-1.0f, 1.0f);
  c->begin_epoch(0, layer.weights()->weight().data());
  const std::vector<uint8_t>& mask = c->mask();
  ASSERT_EQ(c->kept(), in * out / 2);
  EXPECT_EQ(layer.macs({in}), in * out / 2);

  const Tensor x = random_tensor({batch, in}, rng);
  const Tensor dy = random_tensor({batch, out}, rng);
  Context ctx;
  ctx.training = false;  // the constraint applies in evaluation too
  const Tensor y = layer.forward(x, ctx);
  const Tensor dx = layer.backward(dy);
  const std::vector<float>& w = layer.weights()->weight().values();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < out; ++o) {
      double s = layer.weights()->bias()[o];
      for (int64_t i = 0; i < in; ++i) s += mask[o * in + i] ? static_cast<double>(x[n * in + i]) * w[o * in + i] : 0.0;
      EXPECT_NEAR(y[n * out + o], s, 1e-5);
    }
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i) {
      double g = 0.0;
      for (int64_t n = 0; n < batch; ++n) g += static_cast<double>(dy[n * out + o]) * x[n * in + i];
      EXPECT_NEAR(layer.weights()->weight_grad()[o * in + i], mask[o * in + i] ? g : 0.0, 1e-5);
    }
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t i = 0; i < in; ++i) {
      double s = 0.0;
      for (int64_t o = 0; o < out; ++o) s += mask[o * in + i] ? static_cast<double>(dy[n * out + o]) * w[o * in + i] : 0.0;
      EXPECT_NEAR(dx[n * in + i], s, 1e-5);
    }
}

TEST(Linear, BinaryConstraintUsesSignTimesRowMeanAndClipsAfterStep) {
  ConstraintSpec spec;
  spec.weight_bits = 1;
  spec.scale = ScaleMode::PerRow;
  spec.clip = 1.0f;
  Sequential model;
  auto& layer = model.emplace<Linear>(3, 2, false, std::make_unique<WeightConstraint>(spec, 2, 3, 5));
  layer.weights()->weight().values() = {0.5f, -0.25f, 1.5f, -0.1f, 0.2f, -0.3f};
  Context ctx;
  const Tensor y = model.forward(Tensor({1, 3}, {1.0f, 2.0f, 4.0f}), ctx);
  // Row 0: mean|w| = 0.75, signs + - +: 0.75 * (1 - 2 + 4) = 2.25. Row 1: mean 0.2, signs - + -: 0.2 * (-1 + 2 - 4).
  EXPECT_NEAR(y[0], 2.25f, 1e-6);
  EXPECT_NEAR(y[1], -0.6f, 1e-6);
  model.zero_grad();
  model.backward(Tensor({1, 2}, {1.0f, 1.0f}));
  // Straight-through: dW = dy^T x, zeroed where |w| > clip (the 1.5 entry).
  EXPECT_EQ(layer.weights()->weight_grad().values(), (std::vector<float>{1.0f, 2.0f, 0.0f, 1.0f, 2.0f, 4.0f}));
  model.after_optimizer_step();
  EXPECT_EQ(layer.weights()->weight()[2], 1.0f);
  EXPECT_EQ(layer.weights()->weight()[0], 0.5f);
}

TEST(Linear, RejectsBadSizes) {
  EXPECT_THROW(Linear(0, 3), InputError);
  ConstraintSpec spec;
  EXPECT_THROW(Linear(3, 2, true, std::make_unique<WeightConstraint>(spec, 3, 2, 1)), InputError);
}

}  // namespace
}  // namespace bitblock
