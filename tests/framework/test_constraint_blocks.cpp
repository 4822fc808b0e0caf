// The compact paths' constraint on kept units stored as blocks (apply_blocks, backward_blocks)
// must give, bit for bit, what the dense constraint gives at the kept positions: same scales,
// same quantized values (ragged edges, columns past a multiple of 4 and per-layer scales
// included), same straight-through gradients (binary clip window included), accumulated into
// the gradient. Rows, columns and elements are blocks of unit_block_shape (1 x cols, rows x 1,
// 1 x 1), down to a ratio that keeps a single row or column.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/ops.hpp"
#include "bitblock/kernels/bsgemm.hpp"

namespace bitblock {
namespace {

struct Case {
  Structure structure;
  int64_t rows, cols;
  int br, bc;  // block structure only
  double ratio;
};

TEST(ConstraintBlocks, MatchDenseConstraintAtKeptPositions) {
  const Structure B = Structure::Block, R = Structure::Row, C = Structure::Column;
  const Case cases[] = {{B, 16, 24, 8, 8, 2},  {B, 10, 11, 2, 3, 2},   {B, 33, 101, 8, 8, 4}, {B, 64, 784, 8, 8, 8},
                        {B, 20, 50, 4, 5, 3},  {R, 40, 70, 0, 0, 4},   {R, 33, 101, 0, 0, 8}, {R, 5, 9, 0, 0, 5},
                        {C, 20, 784, 0, 0, 8}, {C, 33, 101, 0, 0, 2},  {C, 10, 11, 0, 0, 11},
                        {Structure::Element, 16, 30, 0, 0, 4}, {B, 16, 24, 8, 1, 2}, {B, 10, 24, 1, 8, 3},
                        {B, 10, 24, 4, 1, 2},  {C, 300, 40, 0, 0, 4},  {B, 300, 16, 7, 1, 2}};
  Rng rng(81);
  for (const Case& c : cases) {
    for (int bits : {1, 2, 3, 4, 8, 32}) {
      for (ScaleMode scale : {ScaleMode::PerRow, ScaleMode::PerLayer}) {
        SCOPED_TRACE(::testing::Message() << c.rows << "x" << c.cols << " " << to_string(c.structure) << " "
                                          << c.br << "x" << c.bc << " ratio " << c.ratio << " bits " << bits
                                          << " scale " << to_string(scale));
        ConstraintSpec spec;
        spec.weight_bits = bits;
        spec.scale = scale;
        spec.structure = c.structure;
        if (c.structure == Structure::Block) {
          spec.block_rows = c.br;
          spec.block_cols = c.bc;
        }
        spec.ratio = c.ratio;
        WeightConstraint dense(spec, c.rows, c.cols, 5), packed(spec, c.rows, c.cols, 5);
        ASSERT_EQ(dense.mask(), packed.mask());  // random masks come from the seed
        const auto [br, bc] = unit_block_shape(spec, c.rows, c.cols);
        const kernels::BsrLayout l = kernels::bsr_layout_from_mask(packed.mask().data(), c.rows, c.cols, br, bc);
        int64_t kept_in_blocks = 0;  // the blocks cover exactly the kept weights
        for (int64_t i = 0; i < l.num_block_rows(); ++i)
          for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b)
            kept_in_blocks += int64_t{l.rows_in_block_row(i)} * l.cols_in_block_col(l.block_col_idx[b]);
        ASSERT_EQ(kept_in_blocks, packed.kept());
        const KeptUnit unit = c.structure == Structure::Block    ? KeptUnit::Block
                              : c.structure == Structure::Row    ? KeptUnit::Row
                              : c.structure == Structure::Column ? KeptUnit::Column
                                                                 : KeptUnit::Element;
        const std::unique_ptr<KeptWeights> layout = ops::kept_weights(l, unit, bits, host_context(), "test");
        const size_t n = static_cast<size_t>(c.rows * c.cols);
        const size_t nb = static_cast<size_t>(l.kept_blocks() * l.block_elems());
        const Shape shape{c.rows, c.cols}, bshape = layout->blocks_shape();

        Tensor w(shape), grad(shape);
        for (float& v : w.values()) v = rng.uniform(-1.5f, 1.5f);  // some outside the binary clip window
        for (float& v : grad.values()) v = rng.uniform(-1.0f, 1.0f);
        Tensor wb(bshape), gb(bshape);
        kernels::bsr_gather_blocks(l, w.data(), wb.data());
        kernels::bsr_gather_blocks(l, grad.data(), gb.data());

        Tensor eff(shape), eff_blocks(bshape, -9.0f);
        std::vector<float> eff_back(n, 0.0f);
        dense.apply(w, eff);
        packed.apply_blocks(*layout, wb, eff_blocks);
        EXPECT_EQ(packed.scales(), dense.scales());
        kernels::bsr_write_blocks(l, eff_blocks.data(), eff_back.data());
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(eff_back[i], dense.mask()[i] ? eff[i] : 0.0f) << "W_eff at " << i;
        std::vector<float> ragged(nb, 1.0f);  // 1 at in-matrix positions, 0 at ragged ones
        std::vector<float> ones(n, 1.0f);
        kernels::bsr_gather_blocks(l, ones.data(), ragged.data());
        for (size_t i = 0; i < nb; ++i) {
          if (ragged[i] == 0.0f) {
            ASSERT_EQ(eff_blocks[static_cast<int64_t>(i)], 0.0f) << "ragged position " << i;
          }
        }

        Tensor g_dense(shape), g_blocks(bshape, 0.25f);
        std::vector<float> g_back(n, 0.0f);
        dense.backward(w, grad, g_dense);
        packed.backward_blocks(wb, gb, g_blocks);
        for (float& v : g_blocks.values()) v -= 0.25f;  // added onto 0.25: undo it the same way on both sides
        kernels::bsr_write_blocks(l, g_blocks.data(), g_back.data());
        for (size_t i = 0; i < n; ++i)
          ASSERT_EQ(g_back[i], dense.mask()[i] ? (0.25f + g_dense[i]) - 0.25f : 0.0f) << "gradient at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace bitblock
