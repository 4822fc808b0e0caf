// Memory accounting against hand-computed bit counts (docs/constraints.md "Memory accounting").
#include <gtest/gtest.h>

#include <vector>

#include "bitblock/framework/constraint.hpp"

namespace bitblock {
namespace {

TEST(ConstraintMemory, RandomBlocksRaggedRowsPerRowScales) {
  // 10 x 12, 4 x 4 blocks -> 3 x 3 blocks; the last block-row has 2 rows. Ratio 3 keeps
  // round(3 / 3) = 1 block per block-row: 16 + 16 + 8 = 40 values.
  ConstraintSpec spec;
  spec.weight_bits = 3;
  spec.scale = ScaleMode::PerRow;
  spec.structure = Structure::Block;
  spec.block_rows = 4;
  spec.block_cols = 4;
  spec.ratio = 3.0;
  WeightConstraint c(spec, 10, 12, 17);
  c.begin_epoch(0, nullptr);
  MemoryCost m = c.memory();
  EXPECT_EQ(m.kept_values, 40);
  EXPECT_EQ(m.value_bits, 120);   // 40 x 3
  EXPECT_EQ(m.scale_bits, 320);   // 10 rows x 32
  EXPECT_EQ(m.index_bits, 6);     // 3 kept blocks x ceil(log2 3) = 2; no block-row pointers
  EXPECT_EQ(m.total_bits(), 446);
  EXPECT_EQ(m.dense_float_bits(), 3840);
  EXPECT_DOUBLE_EQ(m.kept_fraction(), 40.0 / 120.0);
}

TEST(ConstraintMemory, MagnitudeBlocksRaggedBothSidesPerLayerScale) {
  // 10 x 11, 4 x 4 blocks: block-rows 4, 4, 2 rows; block-columns 4, 4, 3 columns; 9 blocks.
  // Large weights in blocks (0,0) 4x4, (1,2) 4x3 and (2,1) 2x4: ratio 3 keeps those 3 blocks.
  std::vector<float> w(110, 0.01f);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) w[size_t(r * 11 + c)] = 1.0f;
  for (int r = 4; r < 8; ++r)
    for (int c = 8; c < 11; ++c) w[size_t(r * 11 + c)] = -1.0f;
  for (int r = 8; r < 10; ++r)
    for (int c = 4; c < 8; ++c) w[size_t(r * 11 + c)] = 1.0f;
  ConstraintSpec spec;
  spec.weight_bits = 2;
  spec.scale = ScaleMode::PerLayer;
  spec.structure = Structure::Block;
  spec.block_rows = 4;
  spec.block_cols = 4;
  spec.ratio = 3.0;
  spec.selection = Selection::Magnitude;
  spec.prune_start_epoch = 0;
  spec.prune_end_epoch = 2;
  WeightConstraint c(spec, 10, 11, 1);
  for (int e = 0; e <= 2; ++e) c.begin_epoch(e, w.data());
  MemoryCost m = c.memory();
  EXPECT_EQ(m.kept_values, 36);   // 16 + 12 + 8
  EXPECT_EQ(m.value_bits, 72);    // 36 x 2
  EXPECT_EQ(m.scale_bits, 32);    // one layer scale
  EXPECT_EQ(m.index_bits, 12);    // 3 blocks x ceil(log2 3) = 6, + 3 block-rows x ceil(log2 4) = 6
  EXPECT_EQ(m.total_bits(), 116);
  EXPECT_EQ(m.dense_float_bits(), 3520);
}

TEST(ConstraintMemory, ElementCsrWithAndWithoutRowPointers) {
  // Magnitude: 4 x 5, 10 kept values, binary per row:
  // 10 x 1 value bits, 4 x 32 scale bits, 10 x ceil(log2 5) = 30 + 4 x ceil(log2 11) = 16 index bits.
  ConstraintSpec spec;
  spec.weight_bits = 1;
  spec.structure = Structure::Element;
  spec.ratio = 2.0;
  spec.selection = Selection::Magnitude;
  spec.prune_end_epoch = 1;
  WeightConstraint mag(spec, 4, 5, 1);
  mag.set_mask({1, 1, 1, 1, 0, /**/ 1, 0, 0, 0, 0, /**/ 1, 1, 1, 0, 0, /**/ 0, 0, 0, 1, 1});
  MemoryCost m = mag.memory();
  EXPECT_EQ(m.kept_values, 10);
  EXPECT_EQ(m.value_bits, 10);
  EXPECT_EQ(m.scale_bits, 128);
  EXPECT_EQ(m.index_bits, 46);
  EXPECT_EQ(m.total_bits(), 184);
  // Random, ratio 2.5: round(5 / 2.5) = 2 per row, 8 values of 8 bits, one scale,
  // 8 x ceil(log2 5) = 24 index bits and no row pointers.
  spec.weight_bits = 8;
  spec.scale = ScaleMode::PerLayer;
  spec.ratio = 2.5;
  spec.selection = Selection::Random;
  WeightConstraint rnd(spec, 4, 5, 1);
  rnd.begin_epoch(0, nullptr);
  m = rnd.memory();
  EXPECT_EQ(m.kept_values, 8);
  EXPECT_EQ(m.value_bits, 64);
  EXPECT_EQ(m.scale_bits, 32);
  EXPECT_EQ(m.index_bits, 24);
  EXPECT_EQ(m.total_bits(), 120);
}

TEST(ConstraintMemory, RowAndColumnBitmaps) {
  // Rows: 6 x 7 float, ratio 2 keeps 3 rows = 21 values x 32 bits, a 6-bit row bitmap, no scales.
  ConstraintSpec spec;
  spec.structure = Structure::Row;
  spec.ratio = 2.0;
  WeightConstraint rows(spec, 6, 7, 1);
  rows.begin_epoch(0, nullptr);
  MemoryCost m = rows.memory();
  EXPECT_EQ(m.kept_values, 21);
  EXPECT_EQ(m.value_bits, 672);
  EXPECT_EQ(m.scale_bits, 0);
  EXPECT_EQ(m.index_bits, 6);
  EXPECT_EQ(m.total_bits(), 678);
  // Columns: 6 x 7, 4 bits per row, ratio 7 keeps 1 column = 6 values x 4 bits, 6 scales,
  // a 7-bit column bitmap.
  spec.structure = Structure::Column;
  spec.ratio = 7.0;
  spec.weight_bits = 4;
  WeightConstraint cols(spec, 6, 7, 1);
  cols.begin_epoch(0, nullptr);
  m = cols.memory();
  EXPECT_EQ(m.kept_values, 6);
  EXPECT_EQ(m.value_bits, 24);
  EXPECT_EQ(m.scale_bits, 192);
  EXPECT_EQ(m.index_bits, 7);
  EXPECT_EQ(m.total_bits(), 223);
}

TEST(ConstraintMemory, DenseFloatAndDenseBinary) {
  ConstraintSpec spec;
  WeightConstraint f(spec, 3, 4, 1);
  EXPECT_EQ(f.memory().total_bits(), 384);
  EXPECT_EQ(f.memory().total_bits(), f.memory().dense_float_bits());
  spec.weight_bits = 1;
  spec.scale = ScaleMode::PerLayer;
  WeightConstraint b(spec, 3, 4, 1);
  EXPECT_EQ(b.memory().total_bits(), 12 + 32);
}

}  // namespace
}  // namespace bitblock
