// Dropout (inverted, mask from Context.rng) and Flatten.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dropout.hpp"
#include "bitblock/framework/flatten.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

TEST(Dropout, KeepsWithProbabilityOneMinusPAndScales) {
  Dropout drop(0.25f);
  RandomStream rng(Rng(50));
  Context ctx;
  ctx.rng = &rng;
  const Tensor x({100, 200}, 2.0f);
  const Tensor y = drop.forward(x, ctx);
  int64_t kept = 0;
  for (float v : y.values()) {
    if (v != 0.0f) {
      EXPECT_FLOAT_EQ(v, 2.0f / 0.75f);
      ++kept;
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / 20000.0, 0.75, 0.01);
  // The mask is the generator's: element i is dropped when the i-th uniform draw is below p.
  Rng replay(50);
  for (int64_t i = 0; i < 20000; ++i) EXPECT_EQ(y[i] == 0.0f, replay.uniform() < 0.25f);
  EXPECT_EQ(rng.rng().state(), replay.state());  // the stream moved on by the draws it made
  const Tensor dx = drop.backward(Tensor({100, 200}, 1.0f));
  for (int64_t i = 0; i < 20000; ++i) EXPECT_FLOAT_EQ(dx[i], y[i] / 2.0f);
}

// Rng::fill_u32 (dropout's masks) must be n calls of next_u32, ending in the same state.
TEST(Rng, FillMatchesSuccessiveDraws) {
  for (int64_t n : {0, 1, 7, 8, 9, 64, 1001}) {
    Rng a(n + 3), b(n + 3);
    std::vector<uint32_t> got(static_cast<size_t>(n) + 1, 0xdeadbeefu);
    a.fill_u32(got.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(got[static_cast<size_t>(i)], b.next_u32()) << "n " << n << " at " << i;
    EXPECT_EQ(got[static_cast<size_t>(n)], 0xdeadbeefu);
    EXPECT_EQ(a.state(), b.state()) << n;
    EXPECT_EQ(a.next_u32(), b.next_u32()) << n;
  }
}

TEST(Dropout, IdentityInEvaluationAndNeedsRngInTraining) {
  Dropout drop(0.5f);
  Context eval;
  eval.training = false;
  const Tensor x({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(drop.forward(x, eval).values(), x.values());
  EXPECT_EQ(drop.backward(x).values(), x.values());
  Context train;
  EXPECT_THROW(drop.forward(x, train), std::logic_error);
  EXPECT_THROW(Dropout(1.0f), InputError);
  EXPECT_THROW(Dropout(-0.1f), InputError);
}

TEST(Dropout, GradientMatchesFiniteDifferencesWithAFixedMask) {
  Dropout drop(0.4f);
  Rng rng(51);
  testing::GradCheck opt;
  RandomStream mask_rng(Rng(0));
  opt.prepare = [&mask_rng](Context& c) {
    mask_rng.reset(Rng(52));  // same mask on every forward
    c.rng = &mask_rng;
  };
  testing::expect_gradients_match(drop, testing::random_tensor({3, 7}, rng), opt);
}

TEST(Flatten, ReshapesAndRestores) {
  Flatten flat;
  Context ctx;
  Rng rng(53);
  const Tensor x = testing::random_tensor({2, 3, 2, 2}, rng);
  const Tensor y = flat.forward(x, ctx);
  EXPECT_EQ(y.shape(), (Shape{2, 12}));
  EXPECT_EQ(y.values(), x.values());
  const Tensor dx = flat.backward(y);
  EXPECT_EQ(dx.shape(), x.shape());
  EXPECT_EQ(flat.output_shape({3, 2, 2}), (Shape{12}));
}

}  // namespace
}  // namespace bitblock
