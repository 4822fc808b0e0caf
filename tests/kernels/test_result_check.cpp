// The autotuner's acceptance check (result_check.hpp) on a block-sparse forward product computed
// on the CPU the way the tensor-core kernel does (X rounded to bf16, codes exact, fp32 sums, the
// row scale last): the correct result passes; a result missing one kept block's terms, zeros and
// a NaN fail. The tolerance the tuner used before (1e-2 sqrt(depth + 1) max(1, max |ref|), 0.28
// here, with outputs up to 0.19) passed the missing block, the zeros and a nonzero empty sum.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/result_check.hpp"
#include "kernels/kernel_test_data.hpp"
#include "kernels/tc_reference.hpp"
#include "kernels/bf16_emulation.hpp"

namespace bitblock::kernels {
namespace {

// MNIST's first layer in size and scale (784 inputs, 3-bit codes, small row scales): outputs
// about as large as the old tolerance.
struct Product {
  int64_t M = 16, N = 64, K = 784;
  int br = 8, bc = 8, bits = 3;
  BsrWeights w;
  std::vector<int8_t> codes;  // dense, zero outside kept blocks
  std::vector<float> scales, X, ref, magnitude;
};

Product make_product() {
  Product p;
  Rng rng(2401);
  const auto codes = testing::random_codes(p.N * p.K, p.bits, rng);
  const auto mask = testing::random_block_mask(p.N, p.K, p.br, p.bc, 4, rng);
  p.scales.resize(static_cast<size_t>(p.N));
  for (auto& v : p.scales) v = rng.uniform(0.001f, 0.004f);
  p.w = bsr_pack(codes.data(), mask.data(), p.N, p.K, p.br, p.bc, p.bits, p.scales.data());
  p.codes = testing::masked_dense(codes, mask, p.N, p.K, p.br, p.bc);
  p.X = testing::random_floats(p.M * p.K, rng);
  p.ref.resize(static_cast<size_t>(p.M * p.N));
  reference::bsgemm_forward(p.X.data(), p.M, p.K, p.w, p.ref.data(), p.N);
  const auto abs_sum = testing::abs_product(p.X.data(), p.M, p.K, testing::dense_dequantized(p.w), p.N, p.K, false);
  p.magnitude.assign(abs_sum.begin(), abs_sum.end());
  return p;
}

// The tensor-core forward's arithmetic, leaving out block-column `skip_col` of block-row
// `skip_row` (-1: none).
std::vector<float> tc_like_forward(const Product& p, int64_t skip_row, int64_t skip_col) {
  std::vector<float> y(static_cast<size_t>(p.M * p.N));
  for (int64_t m = 0; m < p.M; ++m) {
    for (int64_t n = 0; n < p.N; ++n) {
      float acc = 0.0f;
      for (int64_t k = 0; k < p.K; ++k) {
        if (n / p.br == skip_row && k / p.bc == skip_col) continue;
        acc += testing::bf16_round(p.X[m * p.K + k]) * float(p.codes[n * p.K + k]);
      }
      y[m * p.N + n] = acc * p.scales[n];
    }
  }
  return y;
}

double tc_rel(const Product& p) { return product_rel_bound(kBf16Rounding, p.K); }

TEST(ResultCheck, AcceptsTheTensorCoreArithmetic) {
  const Product p = make_product();
  const auto got = tc_like_forward(p, -1, -1);
  const ResultCheck r = check_result(got.data(), p.ref.data(), p.magnitude.data(), got.size(), tc_rel(p));
  EXPECT_TRUE(r.accepted) << "worst " << r.worst << " at " << r.worst_index;
  EXPECT_GT(r.worst, 0.0);  // bf16 rounding shows, within the bound
  // The fp32 reference itself passes the fp32 bound, exactly.
  const ResultCheck self = check_result(p.ref.data(), p.ref.data(), p.magnitude.data(), got.size(),
                                        product_rel_bound(0.0, p.K));
  EXPECT_TRUE(self.accepted);
  EXPECT_EQ(self.worst, 0.0);
}

TEST(ResultCheck, RejectsAResultMissingOneKeptBlock) {
  const Product p = make_product();
  const BsrLayout& l = p.w.layout;
  ASSERT_GT(l.kept_blocks(), 0);
  // Every kept block, one at a time: each missing block must be caught.
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int64_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const auto got = tc_like_forward(p, i, l.block_col_idx[b]);
      const ResultCheck r = check_result(got.data(), p.ref.data(), p.magnitude.data(), got.size(), tc_rel(p));
      EXPECT_FALSE(r.accepted) << "block-row " << i << " block-column " << l.block_col_idx[b] << " worst " << r.worst;
    }
  }
}

TEST(ResultCheck, RejectsZerosAndNaN) {
  const Product p = make_product();
  std::vector<float> got(p.ref.size(), 0.0f);
  const ResultCheck zeros = check_result(got.data(), p.ref.data(), p.magnitude.data(), got.size(), tc_rel(p));
  EXPECT_FALSE(zeros.accepted);
  EXPECT_GT(zeros.max_error, 0.0);
  got = tc_like_forward(p, -1, -1);
  got[got.size() / 2] = std::numeric_limits<float>::quiet_NaN();
  const ResultCheck nan = check_result(got.data(), p.ref.data(), p.magnitude.data(), got.size(), tc_rel(p));
  EXPECT_FALSE(nan.accepted);
  EXPECT_EQ(nan.worst_index, static_cast<int64_t>(got.size() / 2));
}

TEST(ResultCheck, AnEmptySumMustBeZero) {
  // Block-row 1 of the mask has no kept block: its outputs are exactly 0 in the reference.
  const Product p = make_product();
  auto got = tc_like_forward(p, -1, -1);
  const size_t at = static_cast<size_t>(0 * p.N + 1 * p.br);
  ASSERT_EQ(p.magnitude[at], 0.0f);
  got[at] = 1e-20f;
  EXPECT_FALSE(check_result(got.data(), p.ref.data(), p.magnitude.data(), got.size(), tc_rel(p)).accepted);
}

TEST(ResultCheck, BoundGrowsWithRoundingAndDepth) {
  EXPECT_NEAR(product_rel_bound(kBf16Rounding, 0), 2.0 / 256, 1e-15);
  EXPECT_NEAR(product_rel_bound(0.0, 1 << 12), 2.0 * 2.0 * 4096 / (1 << 24), 1e-15);
  EXPECT_LT(product_rel_bound(kBf16Rounding, 100), product_rel_bound(2 * kBf16Rounding, 100));
}

}  // namespace
}  // namespace bitblock::kernels
