// PCG32 jump-ahead (pcg32_advance), which device threads use to reach their first draw: it must
// land where stepping one draw at a time lands, for small, odd and large distances.
#include <gtest/gtest.h>

#include "bitblock/common/rng.hpp"

namespace bitblock {
namespace {

TEST(RngJump, AdvanceEqualsSteppingOneDrawAtATime) {
  for (uint64_t seed : {1ULL, 42ULL, 0xdeadbeefULL}) {
    Rng stepped(seed);
    const uint64_t start = stepped.state(), inc = stepped.increment();
    uint64_t done = 0;
    for (uint64_t target : {0ULL, 1ULL, 2ULL, 7ULL, 8ULL, 100ULL, 4097ULL, 65536ULL, 1000003ULL}) {
      for (; done < target; ++done) stepped.next_u32();
      EXPECT_EQ(pcg32_advance(start, inc, target), stepped.state()) << "seed " << seed << " distance " << target;
    }
  }
}

TEST(RngJump, AdvanceComposesAndMatchesTheGenerator) {
  Rng a(7), b(7);
  a.advance(123456789);
  b.advance(123456000);
  b.advance(789);
  EXPECT_EQ(a.state(), b.state());
  EXPECT_EQ(pcg32_advance(a.state(), a.increment(), 0), a.state());
  Rng c(9);
  const uint32_t third = [&] {
    Rng d(9);
    d.next_u32();
    d.next_u32();
    return d.next_u32();
  }();
  c.advance(2);
  EXPECT_EQ(c.next_u32(), third);
}

TEST(RngJump, UnitFloatIsUniformsValue) {
  Rng a(3), b(3);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(pcg32_unit_float(a.next_u32()), b.uniform());
}

}  // namespace
}  // namespace bitblock
