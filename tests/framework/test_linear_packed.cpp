// Packed (compact: kept blocks, rows, columns or elements only) and dense (masked OpenBLAS) paths of a
// constrained Linear layer must train the same network: same outputs, input gradients and weight
// gradients within float tolerance, step after step, and the same losses over a few Adam steps
// of a small MLP; the optimizer updates the compact tensor only and dropped weights never change.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "bitblock/framework/layers.hpp"
#include "bitblock/framework/loss.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "bitblock/framework/sequential.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock {
namespace {

ConstraintSpec block_spec(int bits, int br, int bc, double ratio) {
  ConstraintSpec s;
  s.weight_bits = bits;
  s.structure = Structure::Block;
  s.block_rows = br;
  s.block_cols = bc;
  s.ratio = ratio;
  return s;
}

ConstraintSpec unit_spec(Structure structure, int bits, double ratio, ScaleMode scale = ScaleMode::PerRow) {
  ConstraintSpec s;
  s.weight_bits = bits;
  s.scale = scale;
  s.structure = structure;
  s.ratio = ratio;
  return s;
}

std::unique_ptr<Linear> make_linear(int64_t in, int64_t out, const ConstraintSpec& spec, KernelChoice k) {
  auto layer = std::make_unique<Linear>(in, out, true, std::make_unique<WeightConstraint>(spec, out, in, 99));
  Rng rng(5);
  layer->weights()->init(rng);
  for (int64_t i = 0; i < out; ++i) layer->weights()->bias()[i] = 0.01f * float(i);
  layer->weights()->set_kernels(k);
  return layer;
}

void expect_close(const float* a, const float* b, int64_t n, float tol, const char* what) {
  for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(a[i], b[i], tol * (1.0f + std::fabs(b[i]))) << what << " at " << i;
}

void expect_same_steps(int64_t in, int64_t out, int64_t batch, const ConstraintSpec& spec, KeptUnit unit) {
  auto dense = make_linear(in, out, spec, KernelChoice::Dense);
  auto packed = make_linear(in, out, spec, KernelChoice::Kept);
  ASSERT_FALSE(dense->weights()->kept_path());
  ASSERT_EQ(packed->weights()->kept_unit(), unit);
  dense->constraint()->begin_epoch(0, dense->weights()->weight().data());
  packed->constraint()->begin_epoch(0, packed->weights()->weight().data());
  ASSERT_EQ(dense->constraint()->mask(), packed->constraint()->mask());
  Rng rng(11);
  Context ctx;
  for (int step = 0; step < 3; ++step) {
    Tensor x({batch, in}), dy({batch, out});
    for (float& v : x.values()) v = rng.uniform(-1.0f, 1.0f);
    for (float& v : dy.values()) v = rng.uniform(-1.0f, 1.0f);
    Tensor yd = dense->forward(x, ctx), yp = packed->forward(x, ctx);
    expect_close(yp.data(), yd.data(), yd.numel(), 1e-4f, "y");
    for (Linear* l : {dense.get(), packed.get()})
      for (Param& p : l->params()) p.grad->fill(0.0f);
    Tensor dxd = dense->backward(dy), dxp = packed->backward(dy);
    expect_close(dxp.data(), dxd.data(), dxd.numel(), 1e-4f, "dx");
    expect_close(packed->weights()->weight_grad().data(), dense->weights()->weight_grad().data(), dense->weights()->weight().numel(), 1e-4f, "dW");
    expect_close(packed->weights()->bias_grad().data(), dense->weights()->bias_grad().data(), out, 1e-4f, "db");
    // Same SGD step on both: the next forward sees identical latent weights.
    for (int64_t i = 0; i < dense->weights()->weight().numel(); ++i) {
      dense->weights()->weight()[i] -= 0.05f * dense->weights()->weight_grad()[i];
      packed->weights()->weight()[i] = dense->weights()->weight()[i];
    }
  }
}

TEST(LinearPacked, MatchesDenseStepByStep) {
  struct Case { int64_t in, out, batch; int bits, br, bc; double ratio; };
  const Case cases[] = {{70, 40, 9, 3, 8, 8, 2}, {784, 64, 32, 3, 8, 8, 8}, {100, 33, 1, 1, 16, 8, 4},
                        {64, 64, 17, 4, 32, 4, 16}, {50, 20, 5, 32, 8, 8, 2}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.in << "->" << c.out << " batch " << c.batch << " bits " << c.bits
                                      << " block " << c.br << "x" << c.bc << " ratio " << c.ratio);
    expect_same_steps(c.in, c.out, c.batch, block_spec(c.bits, c.br, c.bc, c.ratio), KeptUnit::Block);
  }
}

// Rows: a smaller dense layer over the kept rows, dropped outputs equal to their bias. Columns:
// the kept inputs only, the input gradient 0 at dropped inputs. Elements: CSR products. Both
// scales, binary and k-bit, and ratios that keep a single row, column or weight per row.
TEST(LinearPacked, KeptRowsColumnsAndElementsMatchDenseStepByStep) {
  struct Case { Structure structure; int64_t in, out, batch; int bits; double ratio; ScaleMode scale; };
  const Structure R = Structure::Row, C = Structure::Column, E = Structure::Element;
  const Case cases[] = {{R, 70, 40, 9, 3, 2, ScaleMode::PerRow},   {R, 784, 64, 32, 3, 8, ScaleMode::PerLayer},
                        {R, 100, 33, 1, 1, 4, ScaleMode::PerRow},  {R, 50, 20, 5, 32, 4, ScaleMode::PerRow},
                        {R, 30, 5, 4, 2, 5, ScaleMode::PerLayer},  {C, 70, 40, 9, 3, 2, ScaleMode::PerRow},
                        {C, 784, 64, 32, 3, 8, ScaleMode::PerLayer}, {C, 100, 33, 1, 1, 4, ScaleMode::PerLayer},
                        {C, 50, 20, 5, 32, 4, ScaleMode::PerRow},  {C, 9, 12, 6, 4, 9, ScaleMode::PerRow},
                        {E, 70, 40, 9, 3, 2, ScaleMode::PerRow},   {E, 784, 64, 32, 3, 8, ScaleMode::PerLayer},
                        {E, 100, 33, 1, 1, 4, ScaleMode::PerRow},  {E, 50, 20, 105, 32, 16, ScaleMode::PerRow},
                        {E, 7, 12, 6, 2, 7, ScaleMode::PerLayer}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << to_string(c.structure) << " " << c.in << "->" << c.out << " batch "
                                      << c.batch << " bits " << c.bits << " ratio " << c.ratio << " "
                                      << to_string(c.scale));
    expect_same_steps(c.in, c.out, c.batch, unit_spec(c.structure, c.bits, c.ratio, c.scale),
                      c.structure == R ? KeptUnit::Row : c.structure == C ? KeptUnit::Column : KeptUnit::Element);
  }
}

// train.kernels: auto trains a fixed mask's kept units from ratio 2 (elements from ratio 4, where
// the CSR products start to beat dense SGEMM), packed at any ratio, dense never; a moving
// (magnitude) mask always trains dense.
TEST(LinearPacked, KernelChoiceSelectsThePath) {
  auto unit = [](ConstraintSpec spec, KernelChoice k) { return make_linear(64, 32, spec, k)->weights()->kept_unit(); };
  EXPECT_EQ(unit(block_spec(3, 8, 8, 2), KernelChoice::Auto), KeptUnit::Block);
  EXPECT_EQ(unit(unit_spec(Structure::Row, 3, 2), KernelChoice::Auto), KeptUnit::Row);
  EXPECT_EQ(unit(unit_spec(Structure::Column, 3, 2), KernelChoice::Auto), KeptUnit::Column);
  EXPECT_EQ(unit(unit_spec(Structure::Element, 3, 4), KernelChoice::Auto), KeptUnit::Element);
  EXPECT_EQ(unit(unit_spec(Structure::Element, 3, 2), KernelChoice::Auto), KeptUnit::None);
  EXPECT_EQ(unit(unit_spec(Structure::Element, 3, 2), KernelChoice::Kept), KeptUnit::Element);
  EXPECT_EQ(unit(unit_spec(Structure::Row, 3, 1), KernelChoice::Auto), KeptUnit::None);
  EXPECT_EQ(unit(unit_spec(Structure::Row, 3, 1), KernelChoice::Kept), KeptUnit::Row);
  EXPECT_EQ(unit(unit_spec(Structure::Column, 3, 8), KernelChoice::Dense), KeptUnit::None);
  EXPECT_EQ(unit(unit_spec(Structure::None, 3, 1), KernelChoice::Kept), KeptUnit::None);
  ConstraintSpec pruned = unit_spec(Structure::Row, 3, 4);
  pruned.selection = Selection::Magnitude;
  pruned.prune_end_epoch = 2;
  EXPECT_EQ(unit(pruned, KernelChoice::Kept), KeptUnit::None);
}

// The dense layer's outputs of dropped rows are exactly their biases, its input gradient exactly 0
// at dropped columns: so must the compact layer's be.
TEST(LinearPacked, DroppedRowsGiveTheBiasDroppedColumnsNoGradient) {
  Rng rng(4);
  Tensor x({6, 40}), dy({6, 12});
  for (float& v : x.values()) v = rng.uniform(-1.0f, 1.0f);
  for (float& v : dy.values()) v = rng.uniform(-1.0f, 1.0f);
  Context ctx;
  auto rows = make_linear(40, 12, unit_spec(Structure::Row, 3, 4), KernelChoice::Kept);
  const Tensor y = rows->forward(x, ctx);
  const std::vector<uint8_t>& rmask = rows->constraint()->mask();
  int dropped = 0;
  for (int64_t o = 0; o < 12; ++o) {
    if (rmask[static_cast<size_t>(o * 40)]) continue;
    ++dropped;
    for (int64_t b = 0; b < 6; ++b) EXPECT_EQ(y[b * 12 + o], 0.01f * float(o)) << "output " << o;
  }
  EXPECT_EQ(dropped, 9);  // 12 rows keep round(12 / 4) = 3
  auto cols = make_linear(40, 12, unit_spec(Structure::Column, 3, 4), KernelChoice::Kept);
  cols->forward(x, ctx);
  const Tensor dx = cols->backward(dy);
  const std::vector<uint8_t>& cmask = cols->constraint()->mask();
  dropped = 0;
  for (int64_t i = 0; i < 40; ++i) {
    if (cmask[static_cast<size_t>(i)]) continue;
    ++dropped;
    for (int64_t b = 0; b < 6; ++b) EXPECT_EQ(dx[b * 40 + i], 0.0f) << "input " << i;
  }
  EXPECT_EQ(dropped, 30);
}

// The packed layer trains a compact tensor of its kept units: params() exposes it, the optimizer
// updates only it, and weight() shows the updated kept weights at their places with every
// dropped weight untouched, equal to the dense layer's update.
void expect_compact_update(const ConstraintSpec& spec, const Shape& compact_shape) {
  auto dense = make_linear(30, 20, spec, KernelChoice::Dense);
  auto packed = make_linear(30, 20, spec, KernelChoice::Kept);
  const std::vector<float> before = packed->weights()->weight().values();
  const std::vector<uint8_t>& mask = packed->constraint()->mask();
  const std::vector<Param> pp = packed->params(), pd = dense->params();
  EXPECT_EQ(pp[0].value->shape(), compact_shape);
  EXPECT_EQ(pd[0].value->shape(), (Shape{20, 30}));
  OptimizerSettings sgd;
  sgd.kind = OptimizerKind::Sgd;
  sgd.momentum = 0.0;
  Optimizer od(sgd, pd), op(sgd, pp);
  Rng rng(12);
  Tensor x({7, 30}), dy({7, 20});
  for (float& v : x.values()) v = rng.uniform(-1.0f, 1.0f);
  for (float& v : dy.values()) v = rng.uniform(-1.0f, 1.0f);
  Context ctx;
  for (Linear* layer : {dense.get(), packed.get()}) {
    layer->forward(x, ctx);
    layer->backward(dy);
  }
  od.step(0.1);
  op.step(0.1);
  const std::vector<float>& wp = packed->weights()->weight().values();
  const std::vector<float>& wd = dense->weights()->weight().values();
  for (size_t i = 0; i < wp.size(); ++i) {
    if (mask[i]) {
      EXPECT_NEAR(wp[i], wd[i], 1e-5f) << i;
      EXPECT_NE(wp[i], before[i]) << i;
    } else {
      EXPECT_EQ(wp[i], before[i]) << i;
    }
  }
}

TEST(LinearPacked, OptimizerUpdatesTheCompactKeptUnits) {
  const ConstraintSpec blocks = block_spec(3, 8, 4, 4);
  const std::vector<uint8_t> mask = WeightConstraint(blocks, 20, 30, 99).mask();
  const kernels::BsrLayout l = kernels::bsr_layout_from_mask(mask.data(), 20, 30, 8, 4);
  {
    SCOPED_TRACE("blocks");
    expect_compact_update(blocks, Shape{l.kept_blocks(), 8, 4});
  }
  {
    SCOPED_TRACE("rows");  // 20 rows keep 5, each a 1 x 30 block
    expect_compact_update(unit_spec(Structure::Row, 3, 4), Shape{5, 1, 30});
  }
  {
    SCOPED_TRACE("columns");  // 30 columns keep round(7.5) = 8, each a 20 x 1 block
    expect_compact_update(unit_spec(Structure::Column, 3, 4), Shape{8, 20, 1});
  }
  {
    SCOPED_TRACE("elements");  // every row keeps round(7.5) = 8 weights, each a 1 x 1 block
    expect_compact_update(unit_spec(Structure::Element, 3, 4), Shape{20 * 8, 1, 1});
  }
}

void expect_same_mlp_training(const ConstraintSpec& spec) {
  auto build = [&spec](KernelChoice k) {
    Sequential net;
    net.emplace<Linear>(64, 48, true, std::make_unique<WeightConstraint>(spec, 48, 64, 3)).weights()->set_kernels(k);
    net.emplace<BatchNorm>(48);
    net.emplace<Activation>(ActFn::Relu, 8, 4.0f);
    net.emplace<Linear>(48, 10, true, std::make_unique<WeightConstraint>(spec, 10, 48, 4)).weights()->set_kernels(k);
    net.init(7);
    net.begin_epoch(0);
    return net;
  };
  Sequential dense = build(KernelChoice::Dense), packed = build(KernelChoice::Kept);
  OptimizerSettings settings;  // Adam
  Optimizer opt_d(settings, dense.params()), opt_p(settings, packed.params());
  Rng rng(21);
  Context ctx;
  for (int step = 0; step < 8; ++step) {
    Tensor x({32, 64});
    for (float& v : x.values()) v = rng.uniform(0.0f, 1.0f);
    std::vector<int32_t> labels(32);
    for (int32_t& l : labels) l = static_cast<int32_t>(rng.below(10));
    double losses[2];
    Sequential* nets[2] = {&dense, &packed};
    Optimizer* opts[2] = {&opt_d, &opt_p};
    for (int k = 0; k < 2; ++k) {
      nets[k]->zero_grad();
      Tensor dlogits;
      Tensor logits = nets[k]->forward(x, ctx);
      losses[k] = softmax_cross_entropy(logits, labels.data(), &dlogits).loss;
      nets[k]->backward(dlogits);
      opts[k]->step(1e-2);
      nets[k]->after_optimizer_step();
    }
    EXPECT_NEAR(losses[1], losses[0], 1e-4 * (1.0 + std::fabs(losses[0]))) << "step " << step;
  }
}

TEST(LinearPacked, TrainsTheSameMlp) {
  for (const ConstraintSpec& spec : {block_spec(3, 8, 8, 4), unit_spec(Structure::Row, 3, 4),
                                     unit_spec(Structure::Column, 1, 4), unit_spec(Structure::Column, 2, 8),
                                     unit_spec(Structure::Element, 3, 4), unit_spec(Structure::Element, 1, 8)}) {
    SCOPED_TRACE(::testing::Message() << to_string(spec.structure) << " bits " << spec.weight_bits);
    expect_same_mlp_training(spec);
  }
}

}  // namespace
}  // namespace bitblock
