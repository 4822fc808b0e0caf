// k-bit code streams and the BSR weight layout: byte format, round trips, ragged edges, errors.
#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/codes.hpp"
#include "bitblock/kernels/kbit.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

TEST(Codes, KnownBytesThreeBit) {
  const int8_t codes[4] = {1, -1, 3, -4};
  uint8_t out[2] = {0xAA, 0xAA};
  pack_codes(codes, 4, 3, out);
  // Field values: 1 = 001, -1 = 111, 3 = 011, -4 = 100, placed at stream bits 0, 3, 6, 9.
  const unsigned expected = 1u | (7u << 3) | (3u << 6) | (4u << 9);
  EXPECT_EQ(out[0], expected & 0xffu);
  EXPECT_EQ(out[1], (expected >> 8) & 0xffu);
}

TEST(Codes, KnownBytesSevenBitAcrossBytes) {
  const int8_t codes[3] = {-64, 63, 5};
  uint8_t out[3] = {0xAA, 0xAA, 0xAA};
  pack_codes(codes, 3, 7, out);
  // Fields 1000000, 0111111, 0000101 at stream bits 0, 7, 14: 0x40 | 0x3f << 7 | 5 << 14 = 0x15fc0.
  EXPECT_EQ(out[0], 0xc0);
  EXPECT_EQ(out[1], 0x5f);
  EXPECT_EQ(out[2], 0x01);
  int8_t back[2];
  unpack_codes(out, 3, 1, 2, 7, back);
  EXPECT_EQ(back[0], 63);
  EXPECT_EQ(back[1], 5);
  EXPECT_EQ(code_min(5), -16);
  EXPECT_EQ(code_max(6), 31);
  EXPECT_EQ(packed_code_bytes(3, 7), 3);
}

TEST(Codes, EmptyStreamWritesNothing) {
  pack_codes(nullptr, 0, 3, nullptr);  // no memset of a null pointer (UBSan)
  EXPECT_EQ(packed_code_bytes(0, 5), 0);
}

TEST(Codes, BinaryBitsAndRanges) {
  const int8_t codes[9] = {1, -1, -1, 1, 1, 1, -1, -1, 1};
  uint8_t out[2];
  pack_codes(codes, 9, 1, out);
  EXPECT_EQ(out[0], 0x39);  // 1,0,0,1,1,1,0,0 LSB first
  EXPECT_EQ(out[1], 0x01);
  EXPECT_EQ(code_min(1), -1);
  EXPECT_EQ(code_max(1), 1);
  EXPECT_EQ(code_min(3), -4);
  EXPECT_EQ(code_max(3), 3);
  EXPECT_EQ(code_min(8), -128);
  EXPECT_EQ(code_max(8), 127);
  // Float layers ask for the 32-bit limit too (UBSan found 1 << 31 on int here).
  EXPECT_EQ(kbit_limit(32), 2147483647);
  EXPECT_EQ(code_min(32), -2147483647 - 1);
  EXPECT_EQ(packed_code_bytes(9, 3), 4);
  const int8_t zero = 0;
  EXPECT_THROW(pack_codes(&zero, 1, 1, out), InputError);
  const int8_t big = 2;
  EXPECT_THROW(pack_codes(&big, 1, 2, out), InputError);
  EXPECT_THROW(pack_codes(&big, 1, 9, out), InputError);
  EXPECT_THROW(pack_codes(&big, 1, 0, out), InputError);
}

TEST(Codes, RoundTripEveryWidthAndOffset) {
  Rng rng(11);
  for (int bits : {1, 2, 3, 4, 5, 6, 7, 8}) {
    for (int64_t n : {1, 7, 33, 1000}) {
      const auto codes = testing::random_codes(n, bits, rng);
      std::vector<uint8_t> packed(static_cast<size_t>(packed_code_bytes(n, bits)));
      pack_codes(codes.data(), n, bits, packed.data());
      for (int64_t first : {int64_t{0}, n / 3}) {
        std::vector<int8_t> back(static_cast<size_t>(n - first));
        unpack_codes(packed.data(), static_cast<int64_t>(packed.size()), first, n - first, bits, back.data());
        for (int64_t i = first; i < n; ++i) ASSERT_EQ(back[i - first], codes[i]) << bits << " " << n << " " << i;
      }
    }
  }
}

TEST(BsrPack, HandBuiltLayoutAndStream) {
  // 3x5 matrix, 2x2 blocks: block-rows {0,1} ragged height 1, block-columns {0,1,2} ragged width 1.
  const int8_t codes[15] = {1, -1, 1, 1, -1,   //
                            1, 1, -1, -1, 1,   //
                            -1, 1, 1, -1, -1};
  const uint8_t mask[15] = {0, 0, 0, 0, 1,  //
                            0, 1, 0, 0, 0,  //
                            0, 0, 1, 0, 0};
  const float scales[3] = {0.5f, 2.0f, 3.0f};
  BsrWeights w = bsr_pack(codes, mask, 3, 5, 2, 2, 1, scales);
  EXPECT_EQ(w.layout.num_block_rows(), 2);
  EXPECT_EQ(w.layout.num_block_cols(), 3);
  EXPECT_EQ(w.layout.block_row_ptr, (std::vector<int32_t>{0, 2, 3}));
  EXPECT_EQ(w.layout.block_col_idx, (std::vector<int32_t>{0, 2, 1}));
  EXPECT_EQ(w.row_scales, (std::vector<float>{0.5f, 2.0f, 3.0f}));
  // Blocks: (0,0) = [1 -1; 1 1] -> bits 1 0 1 1; (0,2) = [-1 pad; 1 pad] -> 0 0 1 0;
  // (1,1) = [1 -1; pad pad] -> 1 0 0 0. Stream bits 0..7 = 1011 0010 -> 0x4D; bits 8..11 -> 0x01.
  ASSERT_EQ(w.packed.size(), 2u);
  EXPECT_EQ(w.packed[0], 0x4D);
  EXPECT_EQ(w.packed[1], 0x01);
  int8_t dense[15];
  bsr_unpack_codes(w, dense);
  const int8_t expected[15] = {1, -1, 0, 0, -1,  //
                               1, 1, 0, 0, 1,    //
                               0, 0, 1, -1, 0};
  for (int e = 0; e < 15; ++e) EXPECT_EQ(dense[e], expected[e]) << e;
  int8_t block[4];
  bsr_decode_block(w, 1, block);
  EXPECT_EQ(std::vector<int8_t>(block, block + 4), (std::vector<int8_t>{-1, 0, 1, 0}));
  EXPECT_NO_THROW(bsr_validate(w, "test"));
}

TEST(BsrPack, RoundTripRandomShapes) {
  Rng rng(5);
  const std::vector<std::tuple<int64_t, int64_t, int, int>> shapes = {
      {1, 1, 8, 8}, {7, 33, 8, 8}, {33, 7, 16, 8}, {64, 100, 8, 16}, {100, 96, 32, 4}, {10, 1000, 8, 64}};
  for (const auto& [rows, cols, br, bc] : shapes) {
    for (int bits : {1, 2, 3, 4, 5, 6, 7, 8}) {
      for (int ratio : {1, 4, 16}) {
        const auto codes = testing::random_codes(rows * cols, bits, rng);
        const auto mask = testing::random_block_mask(rows, cols, br, bc, ratio, rng);
        const auto scales = testing::random_floats(rows, rng);
        BsrWeights w = bsr_pack(codes.data(), mask.data(), rows, cols, br, bc, bits, scales.data());
        ASSERT_NO_THROW(bsr_validate(w, "test"));
        std::vector<int8_t> dense(static_cast<size_t>(rows * cols));
        bsr_unpack_codes(w, dense.data());
        EXPECT_EQ(dense, testing::masked_dense(codes, mask, rows, cols, br, bc)) << rows << "x" << cols;
        EXPECT_EQ(w.row_scales, scales);
      }
    }
  }
}

TEST(BsrPack, RefreshMatchesRepack) {
  Rng rng(9);
  const int64_t rows = 40, cols = 50;
  for (int bits : {1, 3, 8}) {
    const auto mask = testing::random_block_mask(rows, cols, 8, 16, 2, rng);
    const auto codes_a = testing::random_codes(rows * cols, bits, rng);
    const auto codes_b = testing::random_codes(rows * cols, bits, rng);
    const auto scales_b = testing::random_floats(rows, rng);
    BsrWeights w = bsr_pack(codes_a.data(), mask.data(), rows, cols, 8, 16, bits, nullptr);
    EXPECT_EQ(w.row_scales, std::vector<float>(rows, 1.0f));
    bsr_refresh(w, codes_b.data(), scales_b.data());
    const BsrWeights fresh = bsr_pack(codes_b.data(), mask.data(), rows, cols, 8, 16, bits, scales_b.data());
    EXPECT_EQ(w.packed, fresh.packed);
    EXPECT_EQ(w.row_scales, fresh.row_scales);
  }
}

TEST(BsrPack, BadInputThrows) {
  const int8_t codes[4] = {1, 1, 1, 1};
  const uint8_t mask[4] = {1, 1, 1, 1};
  EXPECT_THROW(bsr_pack(codes, mask, 0, 4, 2, 2, 2, nullptr), InputError);
  EXPECT_THROW(bsr_pack(codes, mask, 2, 2, 0, 2, 2, nullptr), InputError);
  EXPECT_THROW(bsr_pack(codes, mask, 2, 2, 2, 2, 9, nullptr), InputError);
  const int8_t zeros[4] = {0, 0, 0, 0};
  EXPECT_THROW(bsr_pack(zeros, mask, 2, 2, 2, 2, 1, nullptr), InputError);
  BsrWeights w = bsr_pack(codes, mask, 2, 2, 1, 1, 2, nullptr);
  w.layout.block_col_idx[1] = 0;  // not increasing
  EXPECT_THROW(bsr_validate(w, "w"), InputError);
  w = bsr_pack(codes, mask, 2, 2, 1, 1, 2, nullptr);
  w.packed.pop_back();
  EXPECT_THROW(bsr_validate(w, "w"), InputError);
}

TEST(BsrPack, ValidateHugeSizesWithoutOverflow) {
  // Sizes a damaged model file can claim: the block count and the code stream length must be
  // computed without wrapping (the old arithmetic overflowed int64 here).
  BsrWeights w;
  w.bits = 8;
  w.layout.rows = INT64_MAX;
  w.layout.cols = 1;
  w.layout.block_rows = 1;
  w.layout.block_cols = 1;
  w.layout.block_row_ptr = {0, 0};
  EXPECT_EQ(w.layout.num_block_rows(), INT64_MAX);
  EXPECT_THROW(bsr_validate(w, "w"), InputError);
  w.layout.rows = 2;
  w.layout.block_rows = 1 << 30;
  w.layout.block_cols = 1 << 30;
  w.layout.cols = int64_t{1} << 40;
  w.layout.block_row_ptr = {0, 1};
  w.layout.block_col_idx = {0};
  w.row_scales.assign(2, 1.0f);
  EXPECT_THROW(bsr_validate(w, "w"), InputError);  // 2^60 codes of 8 bits do not fit
}

}  // namespace
}  // namespace bitblock::kernels
