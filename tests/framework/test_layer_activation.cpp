// Activations: float values and finite-difference gradients away from kinks; quantized levels
// by hand (including half-way points, rounded away from zero); straight-through gradients
// against their definitions; invalid combinations rejected.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/activation.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

using testing::expect_gradients_match;

std::vector<float> run(Activation& act, const std::vector<float>& x) {
  Context ctx;
  return act.forward(Tensor({1, static_cast<int64_t>(x.size())}, x), ctx).values();
}

std::vector<float> grad(Activation& act, const std::vector<float>& x) {
  run(act, x);
  return act.backward(Tensor({1, static_cast<int64_t>(x.size())}, 1.0f)).values();
}

TEST(Activation, FloatValuesAndGradients) {
  Activation relu(ActFn::Relu);
  EXPECT_EQ(run(relu, {-1.0f, 0.0f, 2.5f}), (std::vector<float>{0.0f, 0.0f, 2.5f}));
  EXPECT_EQ(grad(relu, {-1.0f, 0.0f, 2.5f}), (std::vector<float>{0.0f, 0.0f, 1.0f}));
  Activation ht(ActFn::Hardtanh);
  EXPECT_EQ(run(ht, {-3.0f, -0.5f, 0.25f, 1.0f, 2.0f}), (std::vector<float>{-1.0f, -0.5f, 0.25f, 1.0f, 1.0f}));
  EXPECT_EQ(grad(ht, {-3.0f, -0.5f, 0.25f, 1.0f, 2.0f}), (std::vector<float>{0, 1, 1, 0, 0}));
  Activation id(ActFn::Identity);
  EXPECT_EQ(run(id, {-3.0f, 7.0f}), (std::vector<float>{-3.0f, 7.0f}));
}

TEST(Activation, FloatGradientsMatchFiniteDifferences) {
  Rng rng(30);
  Tensor x({3, 8});
  for (float& v : x.values()) {  // keep |x| in [0.1, 0.9] and [1.1, 2]: away from the kinks at 0 and +-1
    const float mag = rng.uniform() < 0.5f ? rng.uniform(0.1f, 0.9f) : rng.uniform(1.1f, 2.0f);
    v = rng.uniform() < 0.5f ? -mag : mag;
  }
  for (ActFn fn : {ActFn::Relu, ActFn::Hardtanh, ActFn::Identity}) {
    Activation act(fn);
    expect_gradients_match(act, x);
  }
}

TEST(Activation, SignAndItsStraightThroughGradient) {
  Activation sign(ActFn::Sign, 1);
  const std::vector<float> x{-2.0f, -1.0f, -0.5f, 0.0f, 0.3f, 1.0f, 1.5f};
  EXPECT_EQ(run(sign, x), (std::vector<float>{-1, -1, -1, 1, 1, 1, 1}));
  EXPECT_EQ(grad(sign, x), (std::vector<float>{0, 1, 1, 1, 1, 1, 0}));  // |x| <= 1
  EXPECT_EQ(activation_levels(ActFn::Sign, 1), 1);
}

TEST(Activation, QuantizedReluLevelsByHand) {
  Activation q2(ActFn::Relu, 2, 1.0f);  // L = 3: 0, 1/3, 2/3, 1
  const std::vector<float> y = run(q2, {-0.5f, 0.1f, 0.2f, 0.5f, 0.9f, 1.5f});
  // x*3 = 0.3 -> 0, 0.6 -> 1, 1.5 -> 2 (half away from zero), 2.7 -> 3; clamped ends.
  const std::vector<float> expected{0.0f, 0.0f, 1.0f / 3.0f, 2.0f / 3.0f, 1.0f, 1.0f};
  for (size_t i = 0; i < y.size(); ++i) EXPECT_FLOAT_EQ(y[i], expected[i]) << i;
  Activation q4(ActFn::Relu, 4, 2.0f);  // L = 15, step 2/15
  EXPECT_FLOAT_EQ(run(q4, {0.7f})[0], 5.0f * 2.0f / 15.0f);  // 0.7 * 7.5 = 5.25 -> 5
  EXPECT_EQ(activation_levels(ActFn::Relu, 4), 15);
}

TEST(Activation, QuantizedHardtanhLevelsByHand) {
  Activation q2(ActFn::Hardtanh, 2);  // L = 1: -1, 0, 1
  EXPECT_EQ(run(q2, {-0.7f, -0.5f, -0.49f, 0.49f, 0.5f, 3.0f}), (std::vector<float>{-1, -1, 0, 0, 1, 1}));
  Activation q3(ActFn::Hardtanh, 3);  // L = 3
  const std::vector<float> y = run(q3, {0.5f, -0.5f, 0.1f, -2.0f});
  EXPECT_FLOAT_EQ(y[0], 2.0f / 3.0f);  // 1.5 -> 2
  EXPECT_FLOAT_EQ(y[1], -2.0f / 3.0f);
  EXPECT_FLOAT_EQ(y[2], 0.0f);
  EXPECT_FLOAT_EQ(y[3], -1.0f);
}

TEST(Activation, QuantizedOutputsTakeExactlyTheLevelCount) {
  for (int bits = 2; bits <= 8; ++bits) {
    std::vector<float> x;
    for (int i = -4000; i <= 4000; ++i) x.push_back(static_cast<float>(i) / 2000.0f);  // [-2, 2]
    Activation relu(ActFn::Relu, bits, 1.5f), ht(ActFn::Hardtanh, bits);
    const std::vector<float> yr = run(relu, x), yh = run(ht, x);
    const std::set<float> lr(yr.begin(), yr.end()), lh(yh.begin(), yh.end());
    EXPECT_EQ(static_cast<int>(lr.size()), (1 << bits)) << bits;        // L + 1 = 2^a
    EXPECT_EQ(static_cast<int>(lh.size()), (1 << bits) - 1) << bits;    // 2L + 1 = 2^a - 1
    EXPECT_FLOAT_EQ(*lr.rbegin(), 1.5f);
    EXPECT_FLOAT_EQ(*lh.begin(), -1.0f);
  }
}

// The layer rounds without std::round (so its loops vectorize); it must agree with it bit for bit,
// ties included (t = k + 1/2 exactly when max == levels), and keep NaN (the divergence guard).
TEST(Activation, QuantizedRoundingMatchesStdRound) {
  std::vector<float> x;
  for (int k = -300; k <= 300; ++k) x.push_back(static_cast<float>(k) * 0.5f);  // ties
  Rng rng(32);
  for (int i = 0; i < 20000; ++i) x.push_back(rng.uniform(-300.0f, 300.0f));
  for (int bits : {2, 3, 8}) {
    const auto levels = static_cast<float>(activation_levels(ActFn::Relu, bits));
    Activation relu(ActFn::Relu, bits, levels);  // max == levels: t == clamp(x)
    const std::vector<float> yr = run(relu, x);
    for (size_t i = 0; i < x.size(); ++i) {
      const float t = std::clamp(x[i], 0.0f, levels) * levels / levels;
      ASSERT_EQ(yr[i], std::round(t) * levels / levels) << "relu bits " << bits << " x " << x[i];
    }
    const auto hl = static_cast<float>(activation_levels(ActFn::Hardtanh, bits));
    Activation ht(ActFn::Hardtanh, bits);
    std::vector<float> xs(x);
    for (float& v : xs) v /= 300.0f;  // into [-1, 1]
    for (int k = -2 * static_cast<int>(hl); k <= 2 * static_cast<int>(hl); ++k) xs.push_back((static_cast<float>(k) * 0.5f) / hl);
    const std::vector<float> yh = run(ht, xs);
    for (size_t i = 0; i < xs.size(); ++i)
      ASSERT_EQ(yh[i], std::round(std::clamp(xs[i], -1.0f, 1.0f) * hl) / hl) << "hardtanh bits " << bits << " x " << xs[i];
  }
  Activation relu(ActFn::Relu, 8, 4.0f);
  EXPECT_TRUE(std::isnan(run(relu, {std::nanf("")})[0]));
}

TEST(Activation, QuantizedStraightThroughGradientMatchesDefinition) {
  Rng rng(31);
  Tensor x({4, 50});
  for (float& v : x.values()) v = rng.uniform(-2.5f, 2.5f);
  x[0] = 0.0f;
  x[1] = 2.0f;
  x[2] = 1.0f;
  x[3] = -1.0f;
  Tensor dy({4, 50});
  for (float& v : dy.values()) v = rng.uniform(-1.0f, 1.0f);
  Context ctx;
  Activation relu(ActFn::Relu, 3, 2.0f);
  relu.forward(x, ctx);
  const Tensor dr = relu.backward(dy);
  Activation ht(ActFn::Hardtanh, 4);
  ht.forward(x, ctx);
  const Tensor dh = ht.backward(dy);
  for (int64_t i = 0; i < x.numel(); ++i) {
    EXPECT_EQ(dr[i], (x[i] > 0.0f && x[i] < 2.0f) ? dy[i] : 0.0f) << x[i];
    EXPECT_EQ(dh[i], std::fabs(x[i]) < 1.0f ? dy[i] : 0.0f) << x[i];
  }
}

TEST(Activation, RejectsInvalidCombinations) {
  EXPECT_THROW(Activation(ActFn::Sign, 32), InputError);
  EXPECT_THROW(Activation(ActFn::Relu, 1), InputError);
  EXPECT_THROW(Activation(ActFn::Identity, 4), InputError);
  EXPECT_THROW(Activation(ActFn::Relu, 9), InputError);
  EXPECT_THROW(Activation(ActFn::Hardtanh, 0), InputError);
  EXPECT_THROW(Activation(ActFn::Relu, 4, 0.0f), InputError);
  EXPECT_NO_THROW(Activation(ActFn::Relu, 32, 0.0f));
  EXPECT_EQ(parse_name(kActFnNames, "hardtanh", "layers[1].fn"), ActFn::Hardtanh);
  try {
    parse_name(kActFnNames, "tanh", "layers[1].fn");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("layers[1].fn"), std::string::npos);
  }
  Activation a(ActFn::Relu, 4, 6.0f);
  EXPECT_EQ(a.fn(), ActFn::Relu);
  EXPECT_EQ(a.bits(), 4);
  EXPECT_EQ(a.max(), 6.0f);
}

}  // namespace
}  // namespace bitblock
