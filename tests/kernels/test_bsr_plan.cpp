// BsrPlan: its values and block-column view against hand-derived expectations, the plan
// products against the reference on every CPU path (and equal to the BsrWeights overloads),
// refresh after new codes, and refusal of a plan built for another layout.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "kernels/isa_guard.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

// 3 x 5 matrix, 2 x 2 blocks, 2-bit codes: kept blocks (0,0), (0,2), (1,1), ragged on both edges.
//   codes  1 -2 | 0  0 |  1        block-row 0 keeps block-columns 0 and 2
//          0  1 | 0  0 | -1
//          ---------------
//          0  0 | 1 -1 |  0        block-row 1 keeps block-column 1
TEST(BsrPlan, ValuesAndBlockColumnsByHand) {
  const int8_t codes[15] = {1, -2, 0, 0, 1, 0, 1, 0, 0, -1, 0, 0, 1, -1, 0};
  const uint8_t mask[15] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
  const float scales[3] = {0.5f, 2.0f, 3.0f};
  const BsrWeights w = bsr_pack(codes, mask, 3, 5, 2, 2, 2, scales);
  const BsrPlan p = bsr_plan(w);
  ASSERT_EQ(p.fwd_lanes, 8);
  ASSERT_EQ(p.bwd_lanes, 8);
  EXPECT_EQ(p.col_ptr, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(p.col_block, (std::vector<int32_t>{0, 2, 1}));
  EXPECT_EQ(p.col_row, (std::vector<int32_t>{0, 1, 0}));
  ASSERT_EQ(p.fwd.size(), 3u * 2 * 8);
  ASSERT_EQ(p.bwd.size(), 3u * 2 * 8);
  // fwd: block b, column c, lanes over rows.
  const float f0c0[8] = {0.5f, 0, 0, 0, 0, 0, 0, 0}, f0c1[8] = {-1.0f, 2.0f, 0, 0, 0, 0, 0, 0};
  const float f1c0[8] = {0.5f, -2.0f, 0, 0, 0, 0, 0, 0}, f1c1[8] = {};  // column 5 is outside
  const float f2c0[8] = {3.0f, 0, 0, 0, 0, 0, 0, 0}, f2c1[8] = {-3.0f, 0, 0, 0, 0, 0, 0, 0};  // row 3 outside
  const float* fwd_want[6] = {f0c0, f0c1, f1c0, f1c1, f2c0, f2c1};
  for (int t = 0; t < 6; ++t) {
    for (int l = 0; l < 8; ++l) EXPECT_EQ(p.fwd[t * 8 + l], fwd_want[t][l]) << t << "," << l;
  }
  // bwd: block b, row r, lanes over columns.
  const float b0r0[8] = {0.5f, -1.0f}, b0r1[8] = {0.0f, 2.0f}, b1r0[8] = {0.5f}, b1r1[8] = {-2.0f};
  const float b2r0[8] = {3.0f, -3.0f}, b2r1[8] = {};
  const float* bwd_want[6] = {b0r0, b0r1, b1r0, b1r1, b2r0, b2r1};
  for (int t = 0; t < 6; ++t) {
    for (int l = 0; l < 8; ++l) EXPECT_EQ(p.bwd[t * 8 + l], bwd_want[t][l]) << t << "," << l;
  }
}

struct Case {
  int64_t M, N, K;
  int br, bc, bits, ratio;
};

TEST(BsrPlan, PlanProductsMatchReferenceAndWeightOverloads) {
  const Case cases[] = {{1, 8, 8, 8, 8, 3, 1},       {25, 33, 70, 8, 8, 1, 2},   {49, 100, 784, 8, 8, 3, 8},
                        {7, 40, 130, 16, 8, 2, 4},   {30, 64, 64, 4, 32, 4, 2},  {24, 1024, 16, 8, 8, 2, 16},
                        {13, 19, 23, 3, 5, 8, 1}};
  Rng rng(123);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x" << c.bc);
    const auto codes = testing::random_codes(c.N * c.K, c.bits, rng);
    const auto mask = testing::random_block_mask(c.N, c.K, c.br, c.bc, c.ratio, rng);
    const auto scales = testing::random_floats(c.N, rng);
    const BsrWeights w = bsr_pack(codes.data(), mask.data(), c.N, c.K, c.br, c.bc, c.bits, scales.data());
    const BsrPlan plan = bsr_plan(w);
    const auto X = testing::random_floats(c.M * c.K, rng), dY = testing::random_floats(c.M * c.N, rng);
    std::vector<float> want_y(static_cast<size_t>(c.M * c.N)), want_dx(static_cast<size_t>(c.M * c.K));
    reference::bsgemm_forward(X.data(), c.M, c.K, w, want_y.data(), c.N);
    reference::bsgemm_backward_input(dY.data(), c.M, c.N, w, want_dx.data(), c.K);
    const double tol_y = 2e-5 * (8.0 * std::sqrt(static_cast<double>(c.K)) + 1.0);
    const double tol_dx = 2e-5 * (8.0 * std::sqrt(static_cast<double>(c.N)) + 1.0);
    testing::for_each_isa([&](Isa) {
      std::vector<float> y(want_y.size(), 7.0f), dx(want_dx.size(), 7.0f), y2(want_y.size()), dx2(want_dx.size());
      bsgemm_forward(X.data(), c.M, c.K, plan, y.data(), c.N);
      bsgemm_backward_input(dY.data(), c.M, c.N, plan, dx.data(), c.K);
      for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want_y[i], tol_y) << i;
      for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(dx[i], want_dx[i], tol_dx) << i;
      bsgemm_forward(X.data(), c.M, c.K, w, y2.data(), c.N);
      bsgemm_backward_input(dY.data(), c.M, c.N, w, dx2.data(), c.K);
      EXPECT_EQ(y, y2);
      EXPECT_EQ(dx, dx2);
    });
  }
}

TEST(BsrPlan, RefreshTakesNewCodesAndRefusesAnotherLayout) {
  Rng rng(5);
  const int64_t N = 24, K = 40;
  const auto mask = testing::random_block_mask(N, K, 8, 8, 2, rng);
  const auto codes = testing::random_codes(N * K, 3, rng);
  BsrWeights w = bsr_pack(codes.data(), mask.data(), N, K, 8, 8, 3, nullptr);
  BsrPlan plan = bsr_plan(w);
  const auto codes2 = testing::random_codes(N * K, 3, rng);
  const auto scales2 = testing::random_floats(N, rng);
  bsr_refresh(w, codes2.data(), scales2.data());
  bsr_plan_refresh(plan, w);
  const BsrPlan fresh = bsr_plan(w);
  EXPECT_EQ(plan.fwd, fresh.fwd);
  EXPECT_EQ(plan.bwd, fresh.bwd);
  // The refreshed plan multiplies with the new weights: compare one forward with the reference.
  const auto X = testing::random_floats(5 * K, rng);
  std::vector<float> y(static_cast<size_t>(5 * N)), want(y.size());
  bsgemm_forward(X.data(), 5, K, plan, y.data(), N);
  reference::bsgemm_forward(X.data(), 5, K, w, want.data(), N);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-4) << i;

  const auto other_mask = testing::random_block_mask(N, K, 8, 8, 1, rng);
  const BsrWeights other = bsr_pack(codes.data(), other_mask.data(), N, K, 8, 8, 3, nullptr);
  if (other.layout.block_col_idx != w.layout.block_col_idx) {
    EXPECT_THROW(bsr_plan_refresh(plan, other), InputError);
  }
  const BsrWeights wider = bsr_pack(codes.data(), mask.data(), N, K, 8, 4, 3, nullptr);
  EXPECT_THROW(bsr_plan_refresh(plan, wider), InputError);
}

}  // namespace
}  // namespace bitblock::kernels
