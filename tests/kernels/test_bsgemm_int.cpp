// Integer block-sparse product: the reference against a dense product of unpacked codes, and
// every CPU path (portable, AVX2) against the reference, exactly.
#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

struct IntCase {
  int64_t M, N, K;
  int br, bc, bits, ratio;
};

std::vector<IntCase> int_cases() {
  std::vector<IntCase> cases;
  const std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes = {
      {1, 1, 1}, {1, 7, 33}, {7, 33, 7}, {3, 100, 784}, {33, 10, 1000}, {5, 1000, 40}};
  const std::vector<std::pair<int, int>> blocks = {{8, 8}, {16, 8}, {8, 16}, {32, 4}, {64, 64}, {3, 5}};
  size_t pick = 0;
  for (const auto& [M, N, K] : shapes) {
    for (int bits : {1, 2, 3, 4, 5, 6, 7, 8}) {
      for (int ratio : {1, 2, 4, 8, 16}) {
        const auto& [br, bc] = blocks[pick++ % blocks.size()];
        cases.push_back({M, N, K, br, bc, bits, ratio});
      }
    }
  }
  return cases;
}

std::vector<int32_t> dense_product(const std::vector<int16_t>& X, int64_t M, int64_t ldx,
                                   const std::vector<int8_t>& codes, int64_t N, int64_t K) {
  std::vector<int32_t> Y(static_cast<size_t>(M * N), 0);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += X[m * ldx + k] * codes[n * K + k];
      Y[m * N + n] = acc;
    }
  }
  return Y;
}

class BsgemmInt : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = active_isa(); }
  void TearDown() override { set_isa(saved_); }
  Isa saved_ = Isa::Portable;
};

TEST_F(BsgemmInt, ReferenceMatchesDenseProductOfMaskedCodes) {
  Rng rng(21);
  for (const IntCase& c : int_cases()) {
    const auto codes = testing::random_codes(c.N * c.K, c.bits, rng);
    const auto mask = testing::random_block_mask(c.N, c.K, c.br, c.bc, c.ratio, rng);
    const BsrWeights w = bsr_pack(codes.data(), mask.data(), c.N, c.K, c.br, c.bc, c.bits, nullptr);
    const int64_t ldx = c.K + 3;
    const auto X = testing::random_int16(c.M * ldx, -255, 255, rng);
    std::vector<int32_t> Y(static_cast<size_t>(c.M * c.N), -7);
    reference::bsgemm_int(X.data(), c.M, ldx, w, Y.data(), c.N);
    const auto dense = testing::masked_dense(codes, mask, c.N, c.K, c.br, c.bc);
    ASSERT_EQ(Y, dense_product(X, c.M, ldx, dense, c.N, c.K))
        << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x" << c.bc << " bits " << c.bits;
  }
}

TEST_F(BsgemmInt, EveryIsaMatchesReferenceExactly) {
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
    const Isa active = set_isa(isa);
    if (active != isa) continue;  // path not available on this CPU
    Rng rng(33);
    for (const IntCase& c : int_cases()) {
      const auto codes = testing::random_codes(c.N * c.K, c.bits, rng);
      const auto mask = testing::random_block_mask(c.N, c.K, c.br, c.bc, c.ratio, rng);
      const BsrWeights w = bsr_pack(codes.data(), mask.data(), c.N, c.K, c.br, c.bc, c.bits, nullptr);
      const int64_t ldx = c.K + 1, ldy = c.N + 2;
      // Extreme activations: int16 range x 8-bit codes must still be exact in int32.
      const auto X = testing::random_int16(c.M * ldx, c.bits == 8 ? -32768 : -300, c.bits == 8 ? 32767 : 300, rng);
      std::vector<int32_t> want(static_cast<size_t>(c.M * ldy), 99), got(want);
      reference::bsgemm_int(X.data(), c.M, ldx, w, want.data(), ldy);
      bsgemm_int(X.data(), c.M, ldx, w, got.data(), ldy);
      ASSERT_EQ(got, want) << isa_name(isa) << " " << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x"
                           << c.bc << " bits " << c.bits << " ratio " << c.ratio;
    }
  }
}

}  // namespace
}  // namespace bitblock::kernels
