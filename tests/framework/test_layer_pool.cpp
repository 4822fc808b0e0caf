// MaxPool2d: values and routing by hand, finite-difference gradients with distinct inputs,
// overlapping windows.
#include <gtest/gtest.h>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/pool.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

TEST(MaxPool2d, ValuesAndGradientRoutingByHand) {
  MaxPool2d pool(2);
  // One 4x4 plane.
  const Tensor x({1, 1, 4, 4}, {1, 5, 2, 0,  //
                                3, 4, 8, 1,  //
                                0, 9, 6, 6,  //
                                7, 2, 6, 3});
  Context ctx;
  const Tensor y = pool.forward(x, ctx);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.values(), (std::vector<float>{5, 8, 9, 6}));
  const Tensor dx = pool.backward(Tensor({1, 1, 2, 2}, {1, 2, 3, 4}));
  // Ties (the three 6s) go to the first in row-major window order.
  EXPECT_EQ(dx.values(), (std::vector<float>{0, 1, 0, 0,  //
                                             0, 0, 2, 0,  //
                                             0, 3, 4, 0,  //
                                             0, 0, 0, 0}));
}

TEST(MaxPool2d, OverlappingWindowsSumTheirGradients) {
  MaxPool2d pool(3, 1);
  const Tensor x({1, 1, 3, 4}, {0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0});
  Context ctx;
  EXPECT_EQ(pool.forward(x, ctx).values(), (std::vector<float>{9, 9}));
  const Tensor dx = pool.backward(Tensor({1, 1, 1, 2}, {1.0f, 2.0f}));
  EXPECT_EQ(dx[5], 3.0f);
}

TEST(MaxPool2d, GradientsMatchFiniteDifferences) {
  // Distinct values 0.1 apart in a random order, so a 1e-2 step never changes a window's maximum.
  const int64_t n = 2 * 3 * 5 * 6;
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = 0.1f * static_cast<float>(i) - 9.0f;
  Rng rng(40);
  shuffle(values.data(), values.size(), rng);
  MaxPool2d pool(2);
  testing::expect_gradients_match(pool, Tensor({2, 3, 5, 6}, values));
  MaxPool2d strided(3, 2);
  testing::expect_gradients_match(strided, Tensor({2, 3, 5, 6}, values));
}

TEST(MaxPool2d, ShapesAndErrors) {
  EXPECT_EQ(MaxPool2d(2).output_shape({8, 28, 28}), (Shape{8, 14, 14}));
  EXPECT_EQ(MaxPool2d(3, 2).output_shape({1, 7, 8}), (Shape{1, 3, 3}));
  EXPECT_THROW(MaxPool2d(3).output_shape({1, 2, 8}), InputError);
  EXPECT_THROW(MaxPool2d(0), InputError);
}

}  // namespace
}  // namespace bitblock
