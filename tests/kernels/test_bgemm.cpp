// Binary GEMMs: the reference against dense +-1 products, every CPU path against the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/pack.hpp"
#include "kernels/isa_guard.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

struct Shape {
  int64_t M, N, K;
};
const Shape kShapes[] = {{1, 1, 1}, {1, 7, 33}, {7, 33, 7}, {33, 10, 784}, {5, 100, 1000}, {64, 64, 64},
                         {3, 9, 2000}, {40, 1, 257}};

std::vector<float> pm1(int64_t n, Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = rng.below(2) ? 1.0f : -1.0f;
  return v;
}

TEST(Bgemm, BinaryReferenceMatchesDenseAndIsasMatchReference) {
  Rng rng(4);
  for (const Shape& s : kShapes) {
    const auto a = pm1(s.M * s.K, rng), b = pm1(s.N * s.K, rng);
    std::vector<uint64_t> A(static_cast<size_t>(s.M * sign_words(s.K))), B(static_cast<size_t>(s.N * sign_words(s.K)));
    reference::pack_signs(a.data(), s.M, s.K, s.K, A.data());
    reference::pack_signs(b.data(), s.N, s.K, s.K, B.data());
    std::vector<int32_t> dense(static_cast<size_t>(s.M * s.N));
    for (int64_t m = 0; m < s.M; ++m) {
      for (int64_t n = 0; n < s.N; ++n) {
        float acc = 0;
        for (int64_t k = 0; k < s.K; ++k) acc += a[m * s.K + k] * b[n * s.K + k];
        dense[m * s.N + n] = static_cast<int32_t>(acc);
      }
    }
    std::vector<int32_t> want(dense.size());
    reference::bgemm_binary(A.data(), s.M, B.data(), s.N, s.K, want.data(), s.N);
    ASSERT_EQ(want, dense) << s.M << "x" << s.N << "x" << s.K;
    testing::for_each_isa([&](Isa) {
      const int64_t ldc = s.N + 3;
      std::vector<int32_t> got(static_cast<size_t>(s.M * ldc), -99);
      bgemm_binary(A.data(), s.M, B.data(), s.N, s.K, got.data(), ldc);
      for (int64_t m = 0; m < s.M; ++m) {
        for (int64_t n = 0; n < s.N; ++n) ASSERT_EQ(got[m * ldc + n], want[m * s.N + n]) << s.M << "x" << s.N << "x" << s.K;
        for (int64_t n = s.N; n < ldc; ++n) ASSERT_EQ(got[m * ldc + n], -99);  // padding untouched
      }
    });
  }
}

// Relative tolerance for float sums of up to 2000 terms against a double-accumulated reference.
constexpr float kRelTol = 1e-5f;

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float scale_ref) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], kRelTol * scale_ref + kRelTol * std::fabs(want[i])) << i;
  }
}

TEST(Bgemm, FloatBinaryReferenceMatchesDenseAndIsasMatchReference) {
  Rng rng(8);
  for (const Shape& s : kShapes) {
    const int64_t ldx = s.K + 2;
    const auto X = testing::random_floats(s.M * ldx, rng);
    const auto w = pm1(s.N * s.K, rng);
    const auto scales = testing::random_floats(s.N, rng);
    std::vector<uint64_t> W(static_cast<size_t>(s.N * sign_words(s.K)));
    reference::pack_signs(w.data(), s.N, s.K, s.K, W.data());
    std::vector<float> dense(static_cast<size_t>(s.M * s.N));
    for (int64_t m = 0; m < s.M; ++m) {
      for (int64_t n = 0; n < s.N; ++n) {
        double acc = 0;
        for (int64_t k = 0; k < s.K; ++k) acc += static_cast<double>(X[m * ldx + k]) * w[n * s.K + k];
        dense[m * s.N + n] = static_cast<float>(acc * scales[n]);
      }
    }
    std::vector<float> want(dense.size());
    reference::bgemm_float_binary(X.data(), s.M, ldx, W.data(), s.N, s.K, scales.data(), want.data(), s.N);
    expect_close(want, dense, std::sqrt(static_cast<float>(s.K)));
    testing::for_each_isa([&](Isa) {
      std::vector<float> got(want.size(), -5.0f);
      bgemm_float_binary(X.data(), s.M, ldx, W.data(), s.N, s.K, scales.data(), got.data(), s.N);
      expect_close(got, want, std::sqrt(static_cast<float>(s.K)));
    });
  }
}

}  // namespace
}  // namespace bitblock::kernels
