// CSR training products: a hand-computed example through the references, then every CPU path
// against the references on random element masks (empty rows and columns, batches that are not a
// multiple of 8 or that need several register chunks), within a float tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/csr.hpp"
#include "kernels/isa_guard.hpp"

namespace bitblock::kernels {
namespace {

CsrPlan plan_of(const std::vector<uint8_t>& mask, int64_t rows, int64_t cols) {
  return csr_plan(bsr_layout_from_mask(mask.data(), rows, cols, 1, 1));
}

TEST(Csr, HandComputedExample) {
  // W (2 x 3) keeps w00 = 2, w02 = -1, w11 = 3; X is 2 x 3.
  const CsrPlan p = plan_of({1, 0, 1, 0, 1, 0}, 2, 3);
  EXPECT_EQ(p.row_ptr, (std::vector<int32_t>{0, 2, 3}));
  EXPECT_EQ(p.col_idx, (std::vector<int32_t>{0, 2, 1}));
  EXPECT_EQ(p.col_ptr, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(p.col_row, (std::vector<int32_t>{0, 1, 0}));
  EXPECT_EQ(p.col_pos, (std::vector<int32_t>{0, 2, 1}));
  const float w[] = {2, -1, 3};
  const std::vector<float> x = {1, 2, 3, -1, 0, 4};
  testing::for_each_isa([&](Isa) {  // small integers: exact on every path
    std::vector<float> y(4);
    csr_forward(x.data(), 2, 3, p, w, y.data(), 2);
    EXPECT_EQ(y, (std::vector<float>{2 * 1 - 3, 3 * 2, 2 * -1 - 4, 0}));
    const std::vector<float> dy = {1, 2, -1, 1};
    std::vector<float> dx(6);
    csr_backward_input(dy.data(), 2, 2, p, w, dx.data(), 3);
    EXPECT_EQ(dx, (std::vector<float>{2, 6, -1, -2, 3, 1}));
    std::vector<float> dw(3);
    csr_backward_weight(dy.data(), 2, 2, x.data(), 3, p, dw.data());
    EXPECT_EQ(dw, (std::vector<float>{1 * 1 + -1 * -1, 1 * 3 + -1 * 4, 2 * 2 + 1 * 0}));
  });
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float tol, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol * (1.0f + std::fabs(want[i]))) << what << " " << i;
}

TEST(Csr, MatchesReference) {
  struct Case { int64_t M, N, K; int ratio; };
  const Case cases[] = {{1, 1, 1, 1}, {3, 7, 33, 2},  {13, 100, 784, 8}, {100, 64, 1024, 16},
                        {105, 40, 70, 4}, {250, 33, 90, 3}, {8, 129, 17, 1}};
  Rng rng(17);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "M" << c.M << " N" << c.N << " K" << c.K << " ratio " << c.ratio);
    std::vector<uint8_t> mask(static_cast<size_t>(c.N * c.K));
    for (auto& m : mask) m = rng.below(static_cast<uint32_t>(c.ratio)) == 0;
    if (c.N > 2) std::fill(mask.begin() + c.K, mask.begin() + 2 * c.K, 0);  // an empty row
    for (int64_t n = 0; n < c.N && c.K > 3; ++n) mask[static_cast<size_t>(n * c.K + 3)] = 0;  // an empty column
    const CsrPlan p = plan_of(mask, c.N, c.K);
    std::vector<float> w(static_cast<size_t>(p.kept())), x(static_cast<size_t>(c.M * c.K)), dy(static_cast<size_t>(c.M * c.N));
    for (float& v : w) v = rng.uniform(-1.0f, 1.0f);
    for (float& v : x) v = rng.uniform(-1.0f, 1.0f);
    for (float& v : dy) v = rng.uniform(-1.0f, 1.0f);
    std::vector<float> y_ref(dy.size()), dx_ref(x.size()), dw_ref(w.size());
    reference::csr_forward(x.data(), c.M, c.K, p, w.data(), y_ref.data(), c.N);
    reference::csr_backward_input(dy.data(), c.M, c.N, p, w.data(), dx_ref.data(), c.K);
    reference::csr_backward_weight(dy.data(), c.M, c.N, x.data(), c.K, p, dw_ref.data());
    testing::for_each_isa([&](Isa) {
      std::vector<float> y(dy.size(), 9.0f), dx(x.size(), 9.0f), dw(w.size(), 9.0f);
      csr_forward(x.data(), c.M, c.K, p, w.data(), y.data(), c.N);
      csr_backward_input(dy.data(), c.M, c.N, p, w.data(), dx.data(), c.K);
      csr_backward_weight(dy.data(), c.M, c.N, x.data(), c.K, p, dw.data());
      expect_close(y, y_ref, 1e-4f, "y");
      expect_close(dx, dx_ref, 1e-4f, "dx");
      expect_close(dw, dw_ref, 1e-4f, "dw");
    });
  }
}

TEST(Csr, StridedOperandsLeaveThePaddingAlone) {
  // Rows of X, Y, dY and dX wider than the matrices: the padding columns are not written.
  const int64_t M = 9, N = 5, K = 11, pad = 3;
  Rng rng(2);
  std::vector<uint8_t> mask(static_cast<size_t>(N * K));
  for (auto& m : mask) m = rng.below(2);
  const CsrPlan p = plan_of(mask, N, K);
  std::vector<float> w(static_cast<size_t>(p.kept())), x(static_cast<size_t>(M * (K + pad)));
  for (float& v : w) v = rng.uniform(-1.0f, 1.0f);
  for (float& v : x) v = rng.uniform(-1.0f, 1.0f);
  testing::for_each_isa([&](Isa) {
    std::vector<float> y(static_cast<size_t>(M * (N + pad)), 7.0f), y_ref(static_cast<size_t>(M * N));
    csr_forward(x.data(), M, K + pad, p, w.data(), y.data(), N + pad);
    reference::csr_forward(x.data(), M, K + pad, p, w.data(), y_ref.data(), N);
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) ASSERT_NEAR(y[m * (N + pad) + n], y_ref[m * N + n], 1e-5f);
      for (int64_t n = N; n < N + pad; ++n) ASSERT_EQ(y[m * (N + pad) + n], 7.0f);
    }
    std::vector<float> dx(static_cast<size_t>(M * (K + pad)), 7.0f), dx_ref(static_cast<size_t>(M * K));
    csr_backward_input(y.data(), M, N + pad, p, w.data(), dx.data(), K + pad);
    reference::csr_backward_input(y.data(), M, N + pad, p, w.data(), dx_ref.data(), K);
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t k = 0; k < K; ++k) ASSERT_NEAR(dx[m * (K + pad) + k], dx_ref[m * K + k], 1e-4f);
      for (int64_t k = K; k < K + pad; ++k) ASSERT_EQ(dx[m * (K + pad) + k], 7.0f);
    }
  });
}

}  // namespace
}  // namespace bitblock::kernels
