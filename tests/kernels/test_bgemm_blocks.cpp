// Binary weights on kept blocks times sign inputs (bgemm_blocks.hpp): against a dense float
// product of the unpacked +-1 weights (exact: integer sums), against bsgemm_int bit for bit, on
// every CPU path, on edge shapes (batch 1, K not a multiple of 64, ragged blocks, empty
// block-rows), with and without zeros (padding) in the inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "bitblock/common/error.hpp"

#include "bitblock/kernels/bgemm_blocks.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "kernels/isa_guard.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

struct Case {
  int64_t M, N, K;
  int br, bc, ratio;
};

const Case kCases[] = {
    {1, 1, 1, 1, 1, 1},      {1, 7, 33, 8, 8, 1},      {7, 33, 7, 8, 8, 2},      {3, 100, 784, 8, 8, 4},
    {33, 10, 1000, 3, 5, 2}, {5, 64, 130, 16, 8, 2},   {40, 20, 257, 8, 16, 4},  {9, 21, 200, 1, 200, 2},
    {9, 20, 70, 20, 1, 2},   {17, 130, 576, 8, 8, 1},  {2, 16, 150, 64, 64, 1},  {64, 24, 72, 8, 8, 8},
};

// Inputs in {-1, +1}, or in {-1, 0, +1} with zeros.
std::vector<float> sign_inputs(int64_t n, bool zeros, Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = zeros && rng.below(5) == 0 ? 0.0f : (rng.below(2) ? 1.0f : -1.0f);
  return v;
}

TEST(BgemmBlocks, SignInputsTimesKeptBinaryBlocksEqualTheDenseFloatProductAndBsgemmInt) {
  Rng rng(18);
  for (const Case& c : kCases) {
    for (bool zeros : {false, true}) {
      SCOPED_TRACE(::testing::Message() << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x" << c.bc
                                        << " ratio " << c.ratio << (zeros ? " with zeros" : ""));
      const auto codes = testing::random_codes(c.N * c.K, 1, rng);
      const auto mask = c.ratio == 1 ? std::vector<uint8_t>(static_cast<size_t>(c.N * c.K), 1)
                                     : testing::random_block_mask(c.N, c.K, c.br, c.bc, c.ratio, rng);
      std::vector<float> scales(static_cast<size_t>(c.N));
      for (auto& s : scales) s = rng.uniform(0.01f, 2.0f);
      const BsrWeights bsr = bsr_pack(codes.data(), mask.data(), c.N, c.K, c.br, c.bc, 1, scales.data());
      const auto dense = testing::masked_dense(codes, mask, c.N, c.K, c.br, c.bc);  // +-1 kept, 0 dropped
      const int64_t ldx = c.K + 3;
      const auto x = sign_inputs(c.M * ldx, zeros, rng);
      std::vector<int16_t> xi(x.size());
      for (size_t e = 0; e < x.size(); ++e) xi[e] = static_cast<int16_t>(x[e]);

      // The float path's product on +-1 weights: integer sums, exact in float.
      std::vector<float> want(static_cast<size_t>(c.M * c.N));
      for (int64_t m = 0; m < c.M; ++m)
        for (int64_t n = 0; n < c.N; ++n) {
          float acc = 0.0f;
          for (int64_t k = 0; k < c.K; ++k) acc += x[m * ldx + k] * static_cast<float>(dense[n * c.K + k]);
          want[m * c.N + n] = acc * scales[n];
        }
      std::vector<int32_t> want_int(static_cast<size_t>(c.M * c.N));
      reference::bsgemm_int(xi.data(), c.M, ldx, bsr, want_int.data(), c.N);

      // Signs from the packed weights, from dense W_eff and from the kept blocks' values agree.
      const BinaryBlocks from_bsr = binary_blocks_from_bsr(bsr);
      std::vector<float> w_eff(static_cast<size_t>(c.N * c.K));
      for (int64_t n = 0; n < c.N; ++n)
        for (int64_t k = 0; k < c.K; ++k) w_eff[n * c.K + k] = dense[n * c.K + k] * scales[n];
      BinaryBlocks from_dense = binary_blocks(bsr.layout);
      binary_blocks_set_dense(from_dense, w_eff.data());
      std::vector<float> kept(static_cast<size_t>(bsr.layout.kept_blocks() * bsr.layout.block_elems()), 0.0f);
      for (int64_t i = 0, b = 0; i < bsr.layout.num_block_rows(); ++i)
        for (; b < bsr.layout.block_row_ptr[i + 1]; ++b)
          for (int r = 0; r < bsr.layout.rows_in_block_row(i); ++r)
            for (int q = 0; q < bsr.layout.cols_in_block_col(bsr.layout.block_col_idx[b]); ++q)
              kept[(b * c.br + r) * c.bc + q] =
                  w_eff[(i * c.br + r) * c.K + int64_t{bsr.layout.block_col_idx[b]} * c.bc + q];
      BinaryBlocks from_kept = binary_blocks(bsr.layout);
      binary_blocks_set_kept(from_kept, kept.data());
      EXPECT_EQ(from_dense.signs, from_bsr.signs);
      EXPECT_EQ(from_kept.signs, from_bsr.signs);
      for (int64_t n = 0; n < c.N; ++n) {
        const bool any = std::any_of(dense.begin() + n * c.K, dense.begin() + (n + 1) * c.K, [](int8_t v) { return v != 0; });
        if (any) {
          EXPECT_EQ(from_dense.row_scales[n], scales[n]) << "row " << n;
        }
      }

      testing::for_each_isa([&](Isa) {
        const int64_t ldy = c.N + 2;
        std::vector<int32_t> got_int(static_cast<size_t>(c.M * ldy), -7);
        bgemm_sign_input_int(xi.data(), c.M, ldx, from_bsr, got_int.data(), ldy);
        std::vector<float> got(static_cast<size_t>(c.M * ldy), -7.0f);
        bgemm_sign_input(x.data(), c.M, ldx, from_dense, got.data(), ldy);
        for (int64_t m = 0; m < c.M; ++m) {
          for (int64_t n = 0; n < c.N; ++n) {
            ASSERT_EQ(got_int[m * ldy + n], want_int[m * c.N + n]) << m << "," << n;
            ASSERT_EQ(got[m * ldy + n], want[m * c.N + n]) << m << "," << n;
          }
          for (int64_t n = c.N; n < ldy; ++n) ASSERT_EQ(got_int[m * ldy + n], -7);  // padding untouched
        }
      });
    }
  }
}

TEST(BgemmBlocks, RejectsWeightsWiderThanOneBit) {
  Rng rng(1);
  const auto codes = testing::random_codes(8 * 8, 2, rng);
  const std::vector<uint8_t> mask(64, 1);
  const BsrWeights bsr = bsr_pack(codes.data(), mask.data(), 8, 8, 8, 8, 2, nullptr);
  EXPECT_THROW(binary_blocks_from_bsr(bsr), InputError);
}

}  // namespace
}  // namespace bitblock::kernels
