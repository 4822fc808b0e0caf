// The packed training path's float forms of block-sparse weights: kept blocks gathered from a
// dense matrix (bsr_gather_blocks) and a plan filled from them (bsr_plan_set_blocks) must hold
// exactly the values of the plan decoded from the k-bit codes and row scales of the same matrix;
// bsr_write_blocks must put them back at their positions and touch nothing else.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

using testing::random_block_mask;
using testing::random_codes;

struct Case {
  int64_t rows, cols;
  int br, bc, bits, ratio;
};

TEST(BsrPlanBlocks, GatheredBlocksGiveThePlanDecodedFromCodes) {
  const Case cases[] = {{16, 24, 8, 8, 3, 2},   {10, 11, 4, 4, 2, 3},   {33, 100, 8, 16, 4, 4},
                        {64, 784, 8, 8, 3, 8},  {7, 33, 16, 8, 1, 2},   {40, 40, 32, 4, 8, 1},
                        {1, 1000, 1, 64, 2, 16}};
  Rng rng(77);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.rows << "x" << c.cols << " block " << c.br << "x" << c.bc << " bits "
                                    << c.bits << " ratio " << c.ratio);
    const std::vector<int8_t> codes = random_codes(c.rows * c.cols, c.bits, rng);
    const std::vector<uint8_t> mask = random_block_mask(c.rows, c.cols, c.br, c.bc, c.ratio, rng);
    std::vector<float> scales(static_cast<size_t>(c.rows));
    for (float& s : scales) s = 0.01f + rng.uniform();
    const BsrWeights w = bsr_pack(codes.data(), mask.data(), c.rows, c.cols, c.br, c.bc, c.bits, scales.data());
    const BsrPlan decoded = bsr_plan(w);

    // Dense effective weights: code * scale inside kept blocks; junk elsewhere must be ignored.
    std::vector<int8_t> kept(static_cast<size_t>(c.rows * c.cols));
    bsr_unpack_codes(w, kept.data());
    std::vector<float> dense(static_cast<size_t>(c.rows * c.cols), 12345.0f);
    std::vector<uint8_t> inside(dense.size(), 0);
    const BsrLayout& l = w.layout;
    for (int64_t i = 0; i < l.num_block_rows(); ++i)
      for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b)
        for (int64_t r = i * c.br; r < std::min(c.rows, (i + 1) * c.br); ++r)
          for (int64_t k = int64_t{l.block_col_idx[b]} * c.bc; k < std::min(c.cols, (l.block_col_idx[b] + 1) * int64_t{c.bc}); ++k) {
            const auto at = static_cast<size_t>(r * c.cols + k);
            dense[at] = float(kept[at]) * scales[static_cast<size_t>(r)];
            inside[at] = 1;
          }

    std::vector<float> blocks(static_cast<size_t>(l.kept_blocks() * l.block_elems()), -1.0f);
    bsr_gather_blocks(l, dense.data(), blocks.data());
    BsrPlan from_dense = bsr_plan_for_layout(w.layout);
    bsr_plan_set_blocks(from_dense, blocks.data());

    std::vector<float> back(dense.size(), -7.0f);
    bsr_write_blocks(l, blocks.data(), back.data());
    for (size_t i = 0; i < back.size(); ++i) ASSERT_EQ(back[i], inside[i] ? dense[i] : -7.0f) << "write_blocks " << i;
    // Ragged-edge positions of the compact blocks are zero.
    for (int64_t i = 0; i < l.num_block_rows(); ++i)
      for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b)
        for (int r = 0; r < c.br; ++r)
          for (int k = 0; k < c.bc; ++k) {
            if (r < l.rows_in_block_row(i) && k < l.cols_in_block_col(l.block_col_idx[b])) continue;
            ASSERT_EQ(blocks[static_cast<size_t>((int64_t{b} * c.br + r) * c.bc + k)], 0.0f) << "ragged";
          }
    EXPECT_EQ(from_dense.fwd_lanes, decoded.fwd_lanes);
    EXPECT_EQ(from_dense.bwd_lanes, decoded.bwd_lanes);
    EXPECT_EQ(from_dense.col_ptr, decoded.col_ptr);
    EXPECT_EQ(from_dense.col_block, decoded.col_block);
    ASSERT_EQ(from_dense.fwd.size(), decoded.fwd.size());
    ASSERT_EQ(from_dense.bwd.size(), decoded.bwd.size());
    for (size_t i = 0; i < decoded.fwd.size(); ++i) ASSERT_EQ(from_dense.fwd[i], decoded.fwd[i]) << "fwd " << i;
    for (size_t i = 0; i < decoded.bwd.size(); ++i) ASSERT_EQ(from_dense.bwd[i], decoded.bwd[i]) << "bwd " << i;
  }
}

}  // namespace
}  // namespace bitblock::kernels
