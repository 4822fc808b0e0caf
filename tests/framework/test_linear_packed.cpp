// Packed (block-sparse kernel) and dense (masked OpenBLAS) paths of a constrained Linear layer
// must train the same network: same outputs, input gradients and weight gradients within float
// tolerance, step after step, and the same losses over a few optimizer steps of a small MLP.
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

std::unique_ptr<Linear> make_linear(int64_t in, int64_t out, const ConstraintSpec& spec, KernelChoice k) {
  auto layer = std::make_unique<Linear>(in, out, true, std::make_unique<WeightConstraint>(spec, out, in, 99));
  Rng rng(5);
  layer->init(rng);
  for (int64_t i = 0; i < out; ++i) layer->bias()[i] = 0.01f * float(i);
  layer->set_kernels(k);
  return layer;
}

void expect_close(const float* a, const float* b, int64_t n, float tol, const char* what) {
  for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(a[i], b[i], tol * (1.0f + std::fabs(b[i]))) << what << " at " << i;
}

TEST(LinearPacked, MatchesDenseStepByStep) {
  struct Case { int64_t in, out, batch; int bits, br, bc; double ratio; };
  const Case cases[] = {{70, 40, 9, 3, 8, 8, 2}, {784, 64, 32, 3, 8, 8, 8}, {100, 33, 1, 1, 16, 8, 4},
                        {64, 64, 17, 4, 32, 4, 16}, {50, 20, 5, 32, 8, 8, 2}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.in << "->" << c.out << " batch " << c.batch << " bits " << c.bits
                                      << " block " << c.br << "x" << c.bc << " ratio " << c.ratio);
    const ConstraintSpec spec = block_spec(c.bits, c.br, c.bc, c.ratio);
    auto dense = make_linear(c.in, c.out, spec, KernelChoice::Dense);
    auto packed = make_linear(c.in, c.out, spec, KernelChoice::Packed);
    ASSERT_FALSE(dense->packed());
    ASSERT_TRUE(packed->packed());
    dense->constraint()->begin_epoch(0, dense->weight().data());
    packed->constraint()->begin_epoch(0, packed->weight().data());
    ASSERT_EQ(dense->constraint()->mask(), packed->constraint()->mask());
    Rng rng(11);
    Context ctx;
    for (int step = 0; step < 3; ++step) {
      Tensor x({c.batch, c.in}), dy({c.batch, c.out});
      for (float& v : x.values()) v = rng.uniform(-1.0f, 1.0f);
      for (float& v : dy.values()) v = rng.uniform(-1.0f, 1.0f);
      Tensor yd = dense->forward(x, ctx), yp = packed->forward(x, ctx);
      expect_close(yp.data(), yd.data(), yd.numel(), 1e-4f, "y");
      for (Linear* l : {dense.get(), packed.get()})
        for (Param& p : l->params()) p.grad->fill(0.0f);
      Tensor dxd = dense->backward(dy), dxp = packed->backward(dy);
      expect_close(dxp.data(), dxd.data(), dxd.numel(), 1e-4f, "dx");
      expect_close(packed->weight_grad().data(), dense->weight_grad().data(), dense->weight().numel(), 1e-4f, "dW");
      // Same SGD step on both: the next forward sees identical latent weights.
      for (int64_t i = 0; i < dense->weight().numel(); ++i) {
        dense->weight()[i] -= 0.05f * dense->weight_grad()[i];
        packed->weight()[i] = dense->weight()[i];
      }
    }
  }
}

// The packed layer trains a compact tensor of its kept blocks: params() exposes it, the optimizer
// updates only it, and weight() shows the updated kept weights at their places with every
// dropped weight untouched, equal to the dense layer's update.
TEST(LinearPacked, OptimizerUpdatesTheCompactKeptBlocks) {
  const ConstraintSpec spec = block_spec(3, 8, 4, 4);
  auto dense = make_linear(30, 20, spec, KernelChoice::Dense);
  auto packed = make_linear(30, 20, spec, KernelChoice::Packed);
  const std::vector<float> before = packed->weight().values();
  const std::vector<uint8_t>& mask = packed->constraint()->mask();
  const kernels::BsrLayout l = kernels::bsr_layout_from_mask(mask.data(), 20, 30, 8, 4);
  const std::vector<Param> pp = packed->params(), pd = dense->params();
  EXPECT_EQ(pp[0].value->shape(), (Shape{l.kept_blocks(), 8, 4}));
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
  const std::vector<float>& wp = packed->weight().values();
  const std::vector<float>& wd = dense->weight().values();
  for (size_t i = 0; i < wp.size(); ++i) {
    if (mask[i]) {
      EXPECT_NEAR(wp[i], wd[i], 1e-5f) << i;
      EXPECT_NE(wp[i], before[i]) << i;
    } else {
      EXPECT_EQ(wp[i], before[i]) << i;
    }
  }
}

TEST(LinearPacked, TrainsTheSameMlp) {
  auto build = [](KernelChoice k) {
    Sequential net;
    const ConstraintSpec spec = block_spec(3, 8, 8, 4);
    net.emplace<Linear>(64, 48, true, std::make_unique<WeightConstraint>(spec, 48, 64, 3)).set_kernels(k);
    net.emplace<BatchNorm>(48);
    net.emplace<Activation>(ActFn::Relu, 8, 4.0f);
    net.emplace<Linear>(48, 10, true, std::make_unique<WeightConstraint>(spec, 10, 48, 4)).set_kernels(k);
    net.init(7);
    net.begin_epoch(0);
    return net;
  };
  Sequential dense = build(KernelChoice::Dense), packed = build(KernelChoice::Packed);
  OptimizerSettings settings;
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

}  // namespace
}  // namespace bitblock
