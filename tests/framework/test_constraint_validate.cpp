// Impossible constraint settings are rejected with the config key and the problem named.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/constraint.hpp"

namespace bitblock {
namespace {

const std::string kWhere = "constraints.default";

// The message of the InputError validate_constraint throws ("" when it accepts the spec).
std::string rejection(const ConstraintSpec& spec, int64_t rows, int64_t cols) {
  try {
    validate_constraint(spec, rows, cols, kWhere);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

ConstraintSpec blocks(int br, int bc, double ratio, Selection sel = Selection::Random) {
  ConstraintSpec s;
  s.structure = Structure::Block;
  s.block_rows = br;
  s.block_cols = bc;
  s.ratio = ratio;
  s.selection = sel;
  s.prune_start_epoch = 1;
  s.prune_end_epoch = 5;
  return s;
}

TEST(ConstraintValidate, WeightBits) {
  ConstraintSpec s;
  for (int bits : {1, 2, 3, 4, 5, 6, 7, 8, 32}) {
    s.weight_bits = bits;
    EXPECT_EQ(rejection(s, 4, 4), "") << bits;
  }
  for (int bits : {0, -1, 9, 16, 31, 33}) {
    s.weight_bits = bits;
    EXPECT_EQ(rejection(s, 4, 4),
              "constraints.default.weight_bits: " + std::to_string(bits) + " is not supported (use 1..8 or 32)");
  }
}

TEST(ConstraintValidate, Ratio) {
  ConstraintSpec s = blocks(2, 2, 0.5);
  EXPECT_EQ(rejection(s, 8, 8), "constraints.default.ratio: must be a finite number >= 1, got 0.5");
  s.ratio = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(rejection(s, 8, 8).rfind("constraints.default.ratio: must be a finite number >= 1", 0), 0u);
  s.ratio = std::numeric_limits<double>::infinity();
  EXPECT_EQ(rejection(s, 8, 8).rfind("constraints.default.ratio: must be a finite number >= 1", 0), 0u);
  ConstraintSpec dense;
  dense.ratio = 2.0;
  EXPECT_EQ(rejection(dense, 8, 8), "constraints.default.ratio: ratio 2 needs a sparsity structure (structure is none)");
}

TEST(ConstraintValidate, BlockSize) {
  EXPECT_EQ(rejection(blocks(0, 4, 1.0), 10, 12), "constraints.default.block: block 0x4 needs at least 1 row and 1 column");
  EXPECT_EQ(rejection(blocks(4, -1, 1.0), 10, 12), "constraints.default.block: block 4x-1 needs at least 1 row and 1 column");
  EXPECT_EQ(rejection(blocks(16, 4, 1.0), 10, 12), "constraints.default.block: block 16x4 is larger than the 10x12 matrix");
  EXPECT_EQ(rejection(blocks(4, 13, 1.0), 10, 12), "constraints.default.block: block 4x13 is larger than the 10x12 matrix");
  ConstraintSpec rows = blocks(0, 0, 1.0);  // block sizes only matter for block structure
  rows.structure = Structure::Row;
  EXPECT_EQ(rejection(rows, 10, 12), "");
  EXPECT_EQ(rejection(blocks(10, 12, 1.0), 10, 12), "");  // one block covering the matrix
}

TEST(ConstraintValidate, RatioLargerThanUnits) {
  // 32 x 64 with 4 x 8 blocks: 8 block-columns per block-row, 64 blocks in all.
  EXPECT_EQ(rejection(blocks(4, 8, 16.0), 32, 64),
            "constraints.default.ratio: ratio 16 needs at least 16 blocks per block-row, matrix has 8");
  EXPECT_EQ(rejection(blocks(4, 8, 8.0), 32, 64), "");
  EXPECT_EQ(rejection(blocks(4, 8, 16.0, Selection::Magnitude), 32, 64), "");  // 64 blocks overall
  EXPECT_EQ(rejection(blocks(4, 8, 65.0, Selection::Magnitude), 32, 64),
            "constraints.default.ratio: ratio 65 needs at least 65 blocks, matrix has 64");
  ConstraintSpec s;
  s.ratio = 9.0;
  s.structure = Structure::Row;
  EXPECT_EQ(rejection(s, 8, 100), "constraints.default.ratio: ratio 9 needs at least 9 rows, matrix has 8");
  s.structure = Structure::Column;
  EXPECT_EQ(rejection(s, 100, 8), "constraints.default.ratio: ratio 9 needs at least 9 columns, matrix has 8");
  s.structure = Structure::Element;
  EXPECT_EQ(rejection(s, 100, 8),
            "constraints.default.ratio: ratio 9 needs at least 9 weights per row, matrix has 8");
  s.selection = Selection::Magnitude;
  s.prune_end_epoch = 3;
  EXPECT_EQ(rejection(s, 100, 8), "");
  EXPECT_EQ(rejection(s, 2, 4), "constraints.default.ratio: ratio 9 needs at least 9 weights, matrix has 8");
  s.ratio = 8.5;
  EXPECT_EQ(rejection(s, 2, 4), "constraints.default.ratio: ratio 8.5 needs at least 9 weights, matrix has 8");
}

TEST(ConstraintValidate, MagnitudeSchedule) {
  ConstraintSpec s = blocks(2, 2, 4.0, Selection::Magnitude);
  s.prune_start_epoch = 5;
  s.prune_end_epoch = 5;
  EXPECT_EQ(rejection(s, 8, 8), "constraints.default.prune: end epoch must be after the start epoch, got [5, 5]");
  s.prune_end_epoch = 3;
  EXPECT_EQ(rejection(s, 8, 8), "constraints.default.prune: end epoch must be after the start epoch, got [5, 3]");
  s.prune_start_epoch = -1;
  EXPECT_EQ(rejection(s, 8, 8), "constraints.default.prune: start epoch must be >= 0, got [-1, 3]");
  s = blocks(2, 2, 1.0, Selection::Magnitude);  // ratio 1 prunes nothing: no schedule needed
  s.prune_end_epoch = 0;
  EXPECT_EQ(rejection(s, 8, 8), "");
  s = blocks(2, 2, 4.0, Selection::Random);     // the schedule only matters for magnitude
  s.prune_end_epoch = 0;
  EXPECT_EQ(rejection(s, 8, 8), "");
}

TEST(ConstraintValidate, Clip) {
  ConstraintSpec s;
  s.weight_bits = 1;
  s.clip = 0.0f;
  EXPECT_EQ(rejection(s, 4, 4), "constraints.default.clip: must be a finite number > 0, got 0");
  s.clip = -1.0f;
  EXPECT_EQ(rejection(s, 4, 4), "constraints.default.clip: must be a finite number > 0, got -1");
  s.clip = std::nanf("");
  EXPECT_EQ(rejection(s, 4, 4).rfind("constraints.default.clip:", 0), 0u);
}

TEST(ConstraintValidate, EmptyMatrixAndConstructor) {
  ConstraintSpec s;
  EXPECT_EQ(rejection(s, 0, 4), "constraints.default: weight matrix 0x4 is empty");
  s.weight_bits = 9;
  EXPECT_THROW(WeightConstraint(s, 4, 4, 1), InputError);
}

TEST(ConstraintValidate, EnumNamesRoundTripAndUnknownNamesFail) {
  for (Structure v : {Structure::None, Structure::Element, Structure::Row, Structure::Column, Structure::Block})
    EXPECT_EQ(model::parse_sparsity(to_string(v), "k"), v);
  for (Selection v : {Selection::Random, Selection::Magnitude}) EXPECT_EQ(parse_selection(to_string(v), "k"), v);
  for (ScaleMode v : {ScaleMode::PerLayer, ScaleMode::PerRow}) EXPECT_EQ(parse_scale_mode(to_string(v), "k"), v);
  EXPECT_STREQ(to_string(Structure::Block), "block");
  EXPECT_STREQ(to_string(ScaleMode::PerRow), "per_row");
  try {
    model::parse_sparsity("blocks", "constraints.default.structure");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "constraints.default.structure: unknown sparsity structure 'blocks' (expected none, element, row, "
              "column or block)");
  }
  EXPECT_THROW(parse_selection("largest", "k"), InputError);
  EXPECT_THROW(parse_scale_mode("channel", "k"), InputError);
}

// The message of validate_mask's InputError ("" when it accepts the mask).
std::string mask_rejection(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask) {
  try {
    validate_mask(spec, rows, cols, mask, "c.bbc: mask of layer 1");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ConstraintValidate, MasksFromACheckpointMustBeOnesTheConstraintMakes) {
  // 4 x 6 in 2 x 3 blocks: 2 block-rows of 2 blocks; ratio 2 keeps 1 block per block-row.
  const ConstraintSpec b = blocks(2, 3, 2.0);
  const std::vector<uint8_t> good = {1, 1, 1, 0, 0, 0,  //
                                     1, 1, 1, 0, 0, 0,  //
                                     0, 0, 0, 1, 1, 1,  //
                                     0, 0, 0, 1, 1, 1};
  EXPECT_EQ(mask_rejection(b, 4, 6, good), "");
  // One element of a kept block dropped: not whole blocks (the reported CRC-valid bad mask).
  std::vector<uint8_t> partial = good;
  partial[7] = 0;
  EXPECT_NE(mask_rejection(b, 4, 6, partial).find("c.bbc: mask of layer 1: the mask keeps part of block unit 0"),
            std::string::npos)
      << mask_rejection(b, 4, 6, partial);
  // Whole blocks, but both kept in block-row 0 and none in block-row 1.
  const std::vector<uint8_t> uneven = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_NE(mask_rejection(b, 4, 6, uneven).find("keeps 2 of 2 units in group 0, random selection at ratio 2 keeps 1"),
            std::string::npos);
  EXPECT_NE(mask_rejection(b, 4, 6, std::vector<uint8_t>(23, 1)).find("23 mask entries for a 4x6"), std::string::npos);
  std::vector<uint8_t> two = good;
  two[0] = 2;
  EXPECT_NE(mask_rejection(b, 4, 6, two).find("mask entry 0 is 2"), std::string::npos);
  // Structure none keeps everything.
  ConstraintSpec none;
  EXPECT_EQ(mask_rejection(none, 2, 2, {1, 1, 1, 1}), "");
  EXPECT_NE(mask_rejection(none, 2, 2, {1, 1, 0, 1}), "");
  // Magnitude pruning never keeps fewer units than it ends with (ratio 2 of 4 blocks: 2).
  const ConstraintSpec m = blocks(2, 3, 2.0, Selection::Magnitude);
  EXPECT_EQ(mask_rejection(m, 4, 6, uneven), "");
  EXPECT_EQ(mask_rejection(m, 4, 6, std::vector<uint8_t>(24, 1)), "");
  std::vector<uint8_t> one_block(24, 0);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) one_block[static_cast<size_t>(r * 6 + c)] = 1;
  EXPECT_NE(mask_rejection(m, 4, 6, one_block).find("keeps 1 of 4 units, fewer than the 2 magnitude pruning ends with"),
            std::string::npos);
}

}  // namespace
}  // namespace bitblock
