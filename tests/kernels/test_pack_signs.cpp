// Sign packing (every CPU path against the reference and hand-made words) and k-bit quantizer.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/pack.hpp"
#include "kernels/isa_guard.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

TEST(PackSigns, HandMadeWordsAndZeroPadding) {
  // 2 rows x 70 cols: row 0 all +, row 1 alternating starting negative; zero counts as +1.
  std::vector<float> X(2 * 70);
  for (int c = 0; c < 70; ++c) {
    X[c] = c == 3 ? 0.0f : 1.0f;
    X[70 + c] = c % 2 ? 2.0f : -2.0f;
  }
  testing::for_each_isa([&](Isa) {
    std::vector<uint64_t> w(4, 0xdeadbeefULL);
    pack_signs(X.data(), 2, 70, 70, w.data());
    EXPECT_EQ(w[0], ~uint64_t{0});
    EXPECT_EQ(w[1], uint64_t{0x3f});  // 6 valid bits, padding 0
    EXPECT_EQ(w[2], uint64_t{0xaaaaaaaaaaaaaaaaULL});
    EXPECT_EQ(w[3], uint64_t{0x2a});
  });
}

TEST(PackSigns, EveryIsaMatchesReferenceAndUnpacks) {
  Rng rng(3);
  for (int64_t rows : {1, 7, 33}) {
    for (int64_t cols : {1, 7, 33, 64, 784, 1000}) {
      const int64_t ld = cols + 5;
      const auto X = testing::random_floats(rows * ld, rng);
      std::vector<uint64_t> want(static_cast<size_t>(rows * sign_words(cols)));
      reference::pack_signs(X.data(), rows, cols, ld, want.data());
      std::vector<float> back(static_cast<size_t>(rows * cols));
      unpack_signs(want.data(), rows, cols, back.data(), cols);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(back[r * cols + c], X[r * ld + c] >= 0 ? 1.0f : -1.0f);
      }
      testing::for_each_isa([&](Isa) {
        std::vector<uint64_t> got(want.size(), 7);
        pack_signs(X.data(), rows, cols, ld, got.data());
        ASSERT_EQ(got, want) << rows << "x" << cols;
      });
    }
  }
}

TEST(Quantize, KnownCodesPerWidth) {
  const float x[7] = {-1.0f, -0.26f, -0.25f, 0.0f, 0.24f, 0.75f, 3.0f};
  int8_t q[7];
  quantize_codes(x, 7, 1, 1.0f, q);
  EXPECT_EQ(std::vector<int8_t>(q, q + 7), (std::vector<int8_t>{-1, -1, -1, 1, 1, 1, 1}));
  quantize_codes(x, 7, 2, 0.5f, q);  // range -1..1, half away from zero
  EXPECT_EQ(std::vector<int8_t>(q, q + 7), (std::vector<int8_t>{-1, -1, -1, 0, 0, 1, 1}));
  quantize_codes(x, 7, 3, 0.25f, q);  // range -3..3
  EXPECT_EQ(std::vector<int8_t>(q, q + 7), (std::vector<int8_t>{-3, -1, -1, 0, 1, 3, 3}));
  quantize_codes(x, 7, 5, 0.0625f, q);  // range -15..15: -16, -4.16, -4, 0, 3.84, 12, 48 clamped
  EXPECT_EQ(std::vector<int8_t>(q, q + 7), (std::vector<int8_t>{-15, -4, -4, 0, 4, 12, 15}));
  quantize_codes(x, 7, 8, 0.01f, q);  // range -127..127
  EXPECT_EQ(std::vector<int8_t>(q, q + 7), (std::vector<int8_t>{-100, -26, -25, 0, 24, 75, 127}));
  float back[7];
  dequantize_codes(q, 7, 0.01f, back);
  EXPECT_FLOAT_EQ(back[1], -0.26f);
  EXPECT_THROW(quantize_codes(x, 7, 9, 1.0f, q), InputError);
  EXPECT_THROW(quantize_codes(x, 7, 3, 0.0f, q), InputError);
}

}  // namespace
}  // namespace bitblock::kernels
