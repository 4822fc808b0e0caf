// Sparsity masks: kept counts per structure, random draws, ragged blocks, the cubic schedule
// and magnitude pruning, against hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"

namespace bitblock {
namespace {

ConstraintSpec sparse_spec(Structure structure, double ratio, Selection selection = Selection::Random) {
  ConstraintSpec s;
  s.structure = structure;
  s.ratio = ratio;
  s.selection = selection;
  s.block_rows = 4;
  s.block_cols = 8;
  s.prune_start_epoch = 0;
  s.prune_end_epoch = 4;
  return s;
}

std::vector<float> random_weights(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> w(static_cast<size_t>(n));
  for (float& v : w) v = rng.normal();
  return w;
}

int64_t kept_in(const std::vector<uint8_t>& m, int64_t cols, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  int64_t n = 0;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t c = c0; c < c1; ++c) n += m[size_t(r * cols + c)];
  return n;
}

TEST(ConstraintMask, NoneKeepsEverything) {
  ConstraintSpec spec;
  WeightConstraint c(spec, 5, 7, 1);
  std::vector<float> w = random_weights(35, 1);
  c.begin_epoch(0, w.data());
  EXPECT_EQ(c.kept(), 35);
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(0), 1.0);
}

TEST(ConstraintMask, ExactKeptFractionForEveryStructureAndRatio) {
  // 64 x 128 with 4 x 8 blocks: 16 x 16 blocks; every count below divides by 16.
  const int64_t rows = 64, cols = 128;
  std::vector<float> w = random_weights(rows * cols, 2);
  for (Structure st : {Structure::Element, Structure::Row, Structure::Column, Structure::Block})
    for (Selection sel : {Selection::Random, Selection::Magnitude})
      for (double ratio : {1.0, 2.0, 4.0, 8.0, 16.0}) {
        WeightConstraint c(sparse_spec(st, ratio, sel), rows, cols, 5);
        for (int e = 0; e <= 4; ++e) c.begin_epoch(e, w.data());
        EXPECT_EQ(c.kept(), int64_t(double(rows * cols) / ratio))
            << to_string(st) << " " << to_string(sel) << " ratio " << ratio;
        EXPECT_EQ(c.memory().kept_values, c.kept());
      }
}

TEST(ConstraintMask, RandomBlocksEqualPerBlockRowAndWhole) {
  const int64_t rows = 64, cols = 128;  // 16 x 16 blocks of 4 x 8
  for (double ratio : {2.0, 4.0, 16.0}) {
    WeightConstraint c(sparse_spec(Structure::Block, ratio), rows, cols, 11);
    c.begin_epoch(0, nullptr);
    const auto& m = c.mask();
    for (int64_t br = 0; br < 16; ++br) {
      int64_t kept_blocks = 0;
      for (int64_t bc = 0; bc < 16; ++bc) {
        int64_t k = kept_in(m, cols, br * 4, br * 4 + 4, bc * 8, bc * 8 + 8);
        EXPECT_TRUE(k == 0 || k == 32) << "block " << br << "," << bc << " partly kept";
        kept_blocks += k == 32;
      }
      EXPECT_EQ(kept_blocks, int64_t(16 / ratio)) << "block-row " << br;
    }
  }
}

TEST(ConstraintMask, RandomElementsEqualPerRow) {
  WeightConstraint c(sparse_spec(Structure::Element, 4.0), 10, 24, 3);
  c.begin_epoch(0, nullptr);
  for (int64_t r = 0; r < 10; ++r) EXPECT_EQ(kept_in(c.mask(), 24, r, r + 1, 0, 24), 6) << "row " << r;
}

TEST(ConstraintMask, RandomRowsAndColumnsAreWhole) {
  WeightConstraint rows(sparse_spec(Structure::Row, 4.0), 8, 6, 3);
  rows.begin_epoch(0, nullptr);
  int64_t kept_rows = 0;
  for (int64_t r = 0; r < 8; ++r) {
    int64_t k = kept_in(rows.mask(), 6, r, r + 1, 0, 6);
    EXPECT_TRUE(k == 0 || k == 6);
    kept_rows += k == 6;
  }
  EXPECT_EQ(kept_rows, 2);
  WeightConstraint cols(sparse_spec(Structure::Column, 3.0), 8, 6, 3);
  cols.begin_epoch(0, nullptr);
  int64_t kept_cols = 0;
  for (int64_t c = 0; c < 6; ++c) {
    int64_t k = kept_in(cols.mask(), 6, 0, 8, c, c + 1);
    EXPECT_TRUE(k == 0 || k == 8);
    kept_cols += k == 8;
  }
  EXPECT_EQ(kept_cols, 2);
}

TEST(ConstraintMask, RaggedEdgeBlocks) {
  // 10 x 11 with 4 x 4 blocks: block-rows of 4, 4, 2 rows; block-columns of 4, 4, 3 columns.
  ConstraintSpec spec = sparse_spec(Structure::Block, 3.0);
  spec.block_rows = 4;
  spec.block_cols = 4;
  const int64_t row_edges[] = {0, 4, 8, 10}, col_edges[] = {0, 4, 8, 11};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    WeightConstraint c(spec, 10, 11, seed);
    c.begin_epoch(0, nullptr);
    int64_t expected_kept = 0;
    for (int br = 0; br < 3; ++br) {
      int blocks = 0;
      for (int bc = 0; bc < 3; ++bc) {
        int64_t size = (row_edges[br + 1] - row_edges[br]) * (col_edges[bc + 1] - col_edges[bc]);
        int64_t k = kept_in(c.mask(), 11, row_edges[br], row_edges[br + 1], col_edges[bc], col_edges[bc + 1]);
        EXPECT_TRUE(k == 0 || k == size);
        if (k == size) {
          ++blocks;
          expected_kept += size;
        }
      }
      EXPECT_EQ(blocks, 1);  // round(3 / 3)
    }
    EXPECT_EQ(c.kept(), expected_kept);
  }
}

TEST(ConstraintMask, RandomChoiceIsRoughlyUniform) {
  // 1 x 4 block-columns, ratio 2: each column is kept with probability 1/2.
  ConstraintSpec spec = sparse_spec(Structure::Column, 2.0);
  int counts[4] = {0, 0, 0, 0};
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    WeightConstraint c(spec, 3, 4, seed);
    c.begin_epoch(0, nullptr);
    for (int col = 0; col < 4; ++col) counts[col] += c.mask()[size_t(col)];
  }
  for (int col = 0; col < 4; ++col) EXPECT_NEAR(counts[col], 1000, 120) << "column " << col;
}

TEST(ConstraintMask, SameSeedSameMaskDifferentSeedDifferentMask) {
  ConstraintSpec spec = sparse_spec(Structure::Element, 2.0);
  WeightConstraint a(spec, 32, 32, 42), b(spec, 32, 32, 42), c(spec, 32, 32, 43);
  a.begin_epoch(0, nullptr);
  b.begin_epoch(0, nullptr);
  c.begin_epoch(0, nullptr);
  EXPECT_EQ(a.mask(), b.mask());
  EXPECT_NE(a.mask(), c.mask());
}

TEST(ConstraintMask, RandomMaskIsDrawnOnce) {
  WeightConstraint c(sparse_spec(Structure::Block, 4.0), 16, 32, 9);
  c.begin_epoch(0, nullptr);
  std::vector<uint8_t> first = c.mask();
  std::vector<float> w = random_weights(16 * 32, 4);
  for (int e = 1; e < 6; ++e) c.begin_epoch(e, w.data());
  EXPECT_EQ(c.mask(), first);
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(0), 0.25);
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(100), 0.25);
}

TEST(ConstraintMask, CubicScheduleValues) {
  ConstraintSpec spec = sparse_spec(Structure::Row, 4.0, Selection::Magnitude);
  spec.prune_start_epoch = 2;
  spec.prune_end_epoch = 6;
  WeightConstraint c(spec, 8, 3, 1);
  // f(e) = 1/4 + 3/4 (1 - (e - 2)/4)^3
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(0), 1.0);
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(1), 1.0);
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(2), 1.0);
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(3), 0.56640625);  // 0.25 + 0.75 * 0.421875
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(4), 0.34375);     // 0.25 + 0.75 * 0.125
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(5), 0.26171875);  // 0.25 + 0.75 * 0.015625
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(6), 0.25);
  EXPECT_DOUBLE_EQ(c.target_kept_fraction(50), 0.25);
}

std::vector<uint8_t> row_mask(const std::vector<int>& kept_rows, int64_t rows, int64_t cols) {
  std::vector<uint8_t> m(size_t(rows * cols), 0);
  for (int r : kept_rows) std::fill(m.begin() + r * cols, m.begin() + (r + 1) * cols, 1);
  return m;
}

TEST(ConstraintMask, MagnitudePruningKeepsLargestRowsAndOnlyShrinks) {
  // 8 rows of 3 equal values; ratio 4 over epochs 0..4 keeps 8, 5, 3, 2, 2 rows
  // (8 x 0.56640625 = 4.53 -> 5, 8 x 0.34375 = 2.75 -> 3, 8 x 0.26171875 = 2.09 -> 2).
  const float v[8] = {0.3f, -2.0f, 0.1f, 1.5f, -0.7f, 0.05f, 3.0f, 0.9f};
  std::vector<float> w(24);
  for (int r = 0; r < 8; ++r) std::fill(w.begin() + r * 3, w.begin() + r * 3 + 3, v[r]);
  WeightConstraint c(sparse_spec(Structure::Row, 4.0, Selection::Magnitude), 8, 3, 1);
  c.begin_epoch(0, w.data());
  EXPECT_EQ(c.kept(), 24);
  c.begin_epoch(1, w.data());
  EXPECT_EQ(c.mask(), row_mask({1, 3, 4, 6, 7}, 8, 3));
  // Row 0 grows after being pruned: it stays pruned.
  std::fill(w.begin(), w.begin() + 3, 10.0f);
  c.begin_epoch(2, w.data());
  EXPECT_EQ(c.mask(), row_mask({1, 3, 6}, 8, 3));
  c.begin_epoch(3, w.data());
  EXPECT_EQ(c.mask(), row_mask({1, 6}, 8, 3));
  c.begin_epoch(4, w.data());
  EXPECT_EQ(c.mask(), row_mask({1, 6}, 8, 3));
}

TEST(ConstraintMask, MagnitudeBlocksByNormWithRaggedEdges) {
  // 5 x 5 with 2 x 2 blocks: 3 x 3 blocks, edges 1 wide. Ratio 3 keeps 3 of 9 blocks.
  // Block norms^2 set by hand: (0,0) 4 x 1 = 4, (1,2) 2 x 4 = 8, (2,1) 2 x 9 = 18; every other
  // block holds only 0.1s (at most 4 x 0.01).
  std::vector<float> w(25, 0.1f);
  auto set = [&w](int r, int c, float value) { w[size_t(r * 5 + c)] = value; };
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) set(r, c, 1.0f);
  set(2, 4, 2.0f);
  set(3, 4, -2.0f);
  set(4, 2, 3.0f);
  set(4, 3, -3.0f);
  ConstraintSpec spec = sparse_spec(Structure::Block, 3.0, Selection::Magnitude);
  spec.block_rows = 2;
  spec.block_cols = 2;
  spec.prune_end_epoch = 1;
  WeightConstraint c(spec, 5, 5, 1);
  c.begin_epoch(1, w.data());
  std::vector<uint8_t> want(25, 0);
  for (int r = 0; r < 2; ++r)
    for (int col = 0; col < 2; ++col) want[size_t(r * 5 + col)] = 1;
  want[2 * 5 + 4] = want[3 * 5 + 4] = 1;
  want[4 * 5 + 2] = want[4 * 5 + 3] = 1;
  EXPECT_EQ(c.mask(), want);
  EXPECT_EQ(c.kept(), 8);
}

TEST(ConstraintMask, MagnitudeColumnsAndElements) {
  // Columns of a 2 x 4: norms^2 = 1+1, 9+0, 0.25+0.25, 4+4 -> keep columns 1 and 3.
  const std::vector<float> w = {1.0f, 3.0f, 0.5f, 2.0f, -1.0f, 0.0f, -0.5f, -2.0f};
  ConstraintSpec spec = sparse_spec(Structure::Column, 2.0, Selection::Magnitude);
  spec.prune_end_epoch = 1;
  WeightConstraint cols(spec, 2, 4, 1);
  cols.begin_epoch(1, w.data());
  EXPECT_EQ(cols.mask(), std::vector<uint8_t>({0, 1, 0, 1, 0, 1, 0, 1}));
  // Elements: the 4 largest |w| over the whole matrix, ties lowest index dropped first:
  // |w| = 1 3 .5 2 / 1 0 .5 2 -> keep 3, 2, 2, and of the two 1s the later one (index 4).
  spec.structure = Structure::Element;
  WeightConstraint elems(spec, 2, 4, 1);
  elems.begin_epoch(1, w.data());
  EXPECT_EQ(elems.mask(), std::vector<uint8_t>({0, 1, 0, 1, 1, 0, 0, 1}));
}

TEST(ConstraintMask, SetMaskRestoresAndValidates) {
  WeightConstraint c(sparse_spec(Structure::Element, 2.0), 2, 3, 1);
  std::vector<uint8_t> restored = {1, 0, 1, 0, 1, 0};
  c.set_mask(restored);
  c.begin_epoch(0, nullptr);  // random selection must not redraw over a restored mask
  EXPECT_EQ(c.mask(), restored);
  EXPECT_EQ(c.kept(), 3);
  EXPECT_THROW(c.set_mask({1, 0, 1}), InputError);
  EXPECT_THROW(c.set_mask({1, 0, 2, 0, 1, 0}), InputError);
}

}  // namespace
}  // namespace bitblock
