// The weight-gradient plan (tc_schedule.hpp) within the device's shared memory: a very sparse wide
// layer, whose rectangles sized by density alone would stage 4096 X columns (297,984 bytes per
// CTA, over the 227 KB an sm_90 CTA may opt into), is shrunk until a unit fits, and still covers
// every kept weight exactly once.
#include <gtest/gtest.h>

#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/tc_schedule.hpp"

namespace bitblock::kernels {
namespace {

BsrLayout sparse_wide_layout() {
  const int64_t rows = 256, cols = 65536;
  std::vector<uint8_t> mask(static_cast<size_t>(rows * cols), 0);
  Rng rng(2402);
  for (int64_t i = 0; i < rows / 8; ++i) {
    for (int64_t j = 0; j < cols / 8; ++j) {
      if (rng.below(1024) == 0) mask[static_cast<size_t>(i * 8 * cols + j * 8)] = 1;
    }
  }
  return bsr_layout_from_mask(mask.data(), rows, cols, 8, 8);
}

TEST(TcPlanLimits, WeightGradientUnitsFitTheSharedMemory) {
  const BsrLayout l = sparse_wide_layout();
  ASSERT_GT(l.kept_blocks(), 100);
  for (size_t limit : {size_t{227} * 1024, size_t{100} * 1024, size_t{48} * 1024}) {
    SCOPED_TRACE(::testing::Message() << "limit " << limit);
    const WgradSchedule s = wgrad_schedule(l, 132, limit);
    EXPECT_LE(wgrad_smem_bytes(s), limit);
    std::vector<int> visits(static_cast<size_t>(l.kept_blocks() * l.block_elems()), 0);
    for (const WgradUnit& u : s.units) {
      EXPECT_LE((u.block_col_end - u.block_col_begin) * l.block_cols, s.x_cols);
      EXPECT_LE((u.block_row_end - u.block_row_begin) * l.block_rows, s.d_cols);
      for (int32_t i = u.item_begin; i < u.item_end; ++i) {
        for (int half = 0; half < 2; ++half) {
          const int32_t out = s.items[static_cast<size_t>(i)].out[half];
          if (out < 0) continue;
          for (int r = 0; r < 8; ++r)
            for (int c = 0; c < 8; ++c) ++visits[static_cast<size_t>(out + r * l.block_cols + c)];
        }
      }
    }
    for (size_t e = 0; e < visits.size(); ++e) ASSERT_EQ(visits[e], 1) << "dW entry " << e;
  }
}

}  // namespace
}  // namespace bitblock::kernels
