// Column gather / scatter: a hand-computed example, then the CPU versions against the reference
// on random shapes with row strides, large enough to take the parallel path.
#include <gtest/gtest.h>

#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/gather.hpp"

namespace bitblock::kernels {
namespace {

TEST(Gather, HandComputedExample) {
  // X is 2 x 5 with row stride 6 (the sixth float of each row is padding).
  const std::vector<float> x = {1, 2, 3, 4, 5, -1, 6, 7, 8, 9, 10, -1};
  const int32_t cols[] = {0, 3, 4};
  std::vector<float> y(2 * 3, -7.0f);
  gather_columns(x.data(), 2, 6, cols, 3, y.data(), 3);
  EXPECT_EQ(y, (std::vector<float>{1, 4, 5, 6, 9, 10}));

  std::vector<float> back(2 * 6, -7.0f);  // width 5, row stride 6: the padding stays -7
  scatter_columns(y.data(), 2, 3, cols, 3, back.data(), 5, 6);
  EXPECT_EQ(back, (std::vector<float>{1, 0, 0, 4, 5, -7, 6, 0, 0, 9, 10, -7}));
}

TEST(Gather, MatchesReference) {
  struct Case { int64_t M, width, n; };
  // One kept column, all kept, the first and last column, and a matrix over the parallel bound.
  const Case cases[] = {{1, 1, 1}, {3, 10, 1}, {7, 9, 9}, {100, 784, 98}, {5, 33, 2}, {3000, 300, 150}};
  Rng rng(3);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.M << " rows, " << c.n << " of " << c.width << " columns");
    std::vector<int32_t> cols;
    for (int32_t j = 0; j < c.width; ++j) {
      const int64_t left = c.width - j, need = c.n - static_cast<int64_t>(cols.size());
      if (need > 0 && rng.below(static_cast<uint32_t>(left)) < need) cols.push_back(j);
    }
    ASSERT_EQ(static_cast<int64_t>(cols.size()), c.n);
    const int64_t ldx = c.width + 3, ldc = c.n + 1;
    std::vector<float> x(static_cast<size_t>(c.M * ldx));
    for (float& v : x) v = rng.uniform(-1.0f, 1.0f);

    std::vector<float> got(static_cast<size_t>(c.M * ldc), 5.0f), want = got;
    gather_columns(x.data(), c.M, ldx, cols.data(), c.n, got.data(), ldc);
    reference::gather_columns(x.data(), c.M, ldx, cols.data(), c.n, want.data(), ldc);
    ASSERT_EQ(got, want);

    std::vector<float> sgot(static_cast<size_t>(c.M * ldx), 5.0f), swant = sgot;
    scatter_columns(got.data(), c.M, ldc, cols.data(), c.n, sgot.data(), c.width, ldx);
    reference::scatter_columns(want.data(), c.M, ldc, cols.data(), c.n, swant.data(), c.width, ldx);
    ASSERT_EQ(sgot, swant);
  }
}

}  // namespace
}  // namespace bitblock::kernels
