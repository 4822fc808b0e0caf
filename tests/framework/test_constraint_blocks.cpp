// The packed path's constraint on compact kept blocks (apply_blocks, backward_blocks) must give,
// bit for bit, what the dense constraint gives at the kept positions: same scales, same
// quantized values (ragged edges, columns past a multiple of 4 and per-layer scales included),
// same straight-through gradients (binary clip window included), accumulated into the gradient.
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
  int64_t rows, cols;
  int br, bc;
  double ratio;
};

TEST(ConstraintBlocks, MatchDenseConstraintAtKeptPositions) {
  const Case cases[] = {{16, 24, 8, 8, 2}, {10, 11, 2, 3, 2}, {33, 101, 8, 8, 4}, {64, 784, 8, 8, 8}, {20, 50, 4, 5, 3}};
  Rng rng(81);
  for (const Case& c : cases) {
    for (int bits : {1, 2, 3, 4, 8, 32}) {
      for (ScaleMode scale : {ScaleMode::PerRow, ScaleMode::PerLayer}) {
        SCOPED_TRACE(::testing::Message() << c.rows << "x" << c.cols << " block " << c.br << "x" << c.bc << " bits "
                                          << bits << " scale " << to_string(scale));
        ConstraintSpec spec;
        spec.weight_bits = bits;
        spec.scale = scale;
        spec.structure = Structure::Block;
        spec.block_rows = c.br;
        spec.block_cols = c.bc;
        spec.ratio = c.ratio;
        WeightConstraint dense(spec, c.rows, c.cols, 5), packed(spec, c.rows, c.cols, 5);
        ASSERT_EQ(dense.mask(), packed.mask());  // random masks come from the seed
        const kernels::BsrLayout l =
            kernels::bsr_layout_from_mask(packed.mask().data(), c.rows, c.cols, c.br, c.bc);
        const std::unique_ptr<BlockSparse> layout = ops::block_sparse(l, Device::Cpu, "test");
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
