// Checked size arithmetic: exact results where they fit, InputError naming the input where not.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(Checked, ExactWhereTheResultFits) {
  EXPECT_EQ(*try_add(kMax - 5, 5), kMax);
  EXPECT_EQ(*try_mul(int64_t{3037000499}, int64_t{3037000499}), int64_t{9223372030926249001});
  EXPECT_EQ(*try_mul(kMin, 1), kMin);
  EXPECT_EQ(checked_product({60000, 28, 28}, "f", "images"), 47040000);
  EXPECT_EQ(checked_product({}, "f", "nothing"), 1);
  EXPECT_EQ(checked_product({7, 0, kMax}, "f", "empty"), 0);
}

TEST(Checked, OverflowIsReportedNotWrapped) {
  EXPECT_FALSE(try_add(kMax, 1));
  EXPECT_FALSE(try_add(kMin, -1));
  EXPECT_FALSE(try_mul(int64_t{3037000500}, int64_t{3037000500}));
  EXPECT_FALSE(try_mul(kMin, -1));
  try {
    checked_mul(int64_t{1} << 40, int64_t{1} << 30, "m.bbm: stage 0", "weight matrix");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "m.bbm: stage 0: weight matrix is too large (1099511627776 x 1073741824 does not fit "
                           "64-bit arithmetic)");
  }
  EXPECT_THROW(checked_add(kMax, 1, "f", "offset"), InputError);
  EXPECT_THROW(checked_product({1 << 30, 1 << 30, 1 << 30}, "f", "shape"), InputError);
}

TEST(Checked, NegativeSizesAreErrors) {
  try {
    checked_product({4, -2}, "ckpt.bbc: blob 'w'", "shape");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "ckpt.bbc: blob 'w': shape has a negative size -2");
  }
}

}  // namespace
}  // namespace bitblock
