// Fixed-point requantization: make_requant's rounding and range, floor_shift, activation
// clamping, and validate_network's overflow checks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "bitblock/common/error.hpp"
#include "bitblock/model/network.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

using model::ActKind;

TEST(Requant, FloorShiftFloorsNegatives) {
  EXPECT_EQ(model::floor_shift(7, 1), 3);
  EXPECT_EQ(model::floor_shift(-7, 1), -4);
  EXPECT_EQ(model::floor_shift(-8, 2), -2);
  EXPECT_EQ(model::floor_shift(-1, 5), -1);
  EXPECT_EQ(model::floor_shift(0, 5), 0);
  EXPECT_EQ(model::floor_shift(std::numeric_limits<int64_t>::min(), 62), -2);
}

TEST(Requant, ActivationClamps) {
  EXPECT_EQ(model::activate(0, ActKind::Sign, 1, 4), 1);
  EXPECT_EQ(model::activate(-1, ActKind::Sign, 1, 4), -1);
  EXPECT_EQ(model::activate(5 * 16 + 15, ActKind::Unsigned, 2, 4), 3);  // 5 clamps to 3
  EXPECT_EQ(model::activate(-3 * 16, ActKind::Unsigned, 2, 4), 0);
  EXPECT_EQ(model::activate(2 * 16, ActKind::Unsigned, 2, 4), 2);
  EXPECT_EQ(model::activate(-9 * 16, ActKind::Signed, 3, 4), -3);  // symmetric: -(2^2-1)
  EXPECT_EQ(model::activate(-17, ActKind::Signed, 3, 4), -2);      // floor(-1.06) = -2
}

// The fixed-point result rounds A*acc+B to nearest (half up) for every acc in range.
TEST(Requant, MatchesRealAffineRoundedToNearest) {
  const std::vector<double> A = {0.0123, -0.5, 3.25, 1e-6}, B = {0.3, 2.0, -7.1, 0.49};
  const int64_t bound = 5000;
  const model::Requant r = model::make_requant(A, B, ActKind::Signed, bound);
  EXPECT_GE(r.shift, 16);
  for (size_t c = 0; c < A.size(); ++c) {
    EXPECT_LE(std::abs(static_cast<double>(r.mult[c])), std::ldexp(1.0, 30));
    for (int64_t acc = -bound; acc <= bound; acc += 37) {
      const double real = A[c] * double(acc) + B[c];
      if (std::fabs(real - std::floor(real) - 0.5) < 1e-6) continue;  // ties are rounding-mode dependent
      const int64_t fixed = model::floor_shift(acc * r.mult[c] + r.bias[c], r.shift);
      EXPECT_EQ(fixed, static_cast<int64_t>(std::floor(real + 0.5))) << "channel " << c << " acc " << acc;
    }
  }
}

TEST(Requant, SignKeepsTheSign) {
  const model::Requant r = model::make_requant({0.25, -2.0}, {-10.0, 3.0}, ActKind::Sign, 1000);
  for (int64_t acc = -1000; acc <= 1000; ++acc) {
    EXPECT_EQ(acc * r.mult[0] + r.bias[0] >= 0, 0.25 * double(acc) - 10.0 >= 0);
    EXPECT_EQ(acc * r.mult[1] + r.bias[1] >= 0, -2.0 * double(acc) + 3.0 >= 0);
  }
}

TEST(Requant, HugeAccumulatorsLowerTheShift) {
  // m <= 2^30 binds first (shift 30) unless acc * m + b would pass 2^61: 2^(31+s) + 2^(20+s).
  const model::Requant small = model::make_requant({1.0}, {1048576.0}, ActKind::None, 100);
  const model::Requant big = model::make_requant({1.0}, {1048576.0}, ActKind::None, int64_t{1} << 31);
  EXPECT_EQ(small.shift, 30);
  EXPECT_EQ(big.shift, 29);
  EXPECT_EQ(big.mult[0], 1 << 29);
  EXPECT_EQ(big.bias[0], int64_t{1} << 49);
  EXPECT_THROW(model::make_requant({1.0}, {1e30}, ActKind::None, 100), InputError);
  EXPECT_THROW(model::make_requant({std::nan("")}, {0.0}, ActKind::None, 100), InputError);
}

StageSpec wide_dense(int out, int bits, ActKind act, int act_bits) {
  StageSpec s;
  s.out = out;
  s.bits = bits;
  s.act = act;
  s.act_bits = act_bits;
  return s;
}

TEST(Requant, ValidateRejectsInt32Overflow) {
  // 8-bit codes of -128 over 70000 pixel inputs: |acc| can reach 70000 * 128 * 255 > 2^31.
  RandomModel m = random_model({1, 1, 70000}, model::InputMode::Pixel,
                               {wide_dense(1, 8, ActKind::Sign, 1), wide_dense(2, 2, ActKind::None, 32)}, 3);
  std::vector<int8_t> codes(70000, -128);
  std::vector<uint8_t> mask(70000, 1);
  m.net.stages[0].weights = kernels::bsr_pack(codes.data(), mask.data(), 1, 70000, 1, 1, 8, nullptr);
  try {
    model::validate_network(m.net, "net.bbm");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("stage 0 (s0)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("int32"), std::string::npos) << e.what();
  }
}

TEST(Requant, ValidateRejectsInt64Overflow) {
  RandomModel m = random_model({1, 4, 4}, model::InputMode::Pixel,
                               {wide_dense(3, 4, ActKind::Sign, 1), wide_dense(2, 2, ActKind::None, 32)}, 4);
  m.net.stages[0].mult[1] = std::numeric_limits<int32_t>::max();
  m.net.stages[0].bias[1] = std::numeric_limits<int64_t>::max() - 10;
  EXPECT_THROW(model::validate_network(m.net, "net.bbm"), InputError);
}

TEST(Requant, ValidateRejectsBadChains) {
  const RandomModel good = random_model({1, 4, 4}, model::InputMode::Pixel,
                                        {wide_dense(3, 4, ActKind::Sign, 1), wide_dense(2, 2, ActKind::None, 32)}, 5);
  EXPECT_NO_THROW(model::validate_network(good.net, "n"));
  model::Network n = good.net;
  n.num_classes = 3;
  EXPECT_THROW(model::validate_network(n, "n"), InputError);
  n = good.net;
  n.stages[0].act = ActKind::None;
  EXPECT_THROW(model::validate_network(n, "n"), InputError);
  n = good.net;
  n.stages[1].act = ActKind::Sign;
  n.stages[1].act_bits = 1;
  EXPECT_THROW(model::validate_network(n, "n"), InputError);
  n = good.net;
  n.stages[0].act = ActKind::Unsigned;
  n.stages[0].act_bits = 9;
  EXPECT_THROW(model::validate_network(n, "n"), InputError);
  n = good.net;
  n.stages[1].mult.pop_back();
  EXPECT_THROW(model::validate_network(n, "n"), InputError);
  n = good.net;
  n.input.w = 5;
  EXPECT_THROW(model::validate_network(n, "n"), InputError);
}

}  // namespace
}  // namespace bitblock::testing
