// Conv2d on its kept weights (the compact path: the weight matrix's products on patch rows) must
// train the same network as the dense masked conv: same outputs, input and weight gradients
// within float tolerance over several steps, for kept blocks (ragged edges included), rows
// (output channels), columns (patch taps) and elements, with batches split into sample groups;
// gradients match finite differences; a small CNN trains to the same losses with Adam.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <memory>

#include "bitblock/framework/layers.hpp"
#include "bitblock/framework/loss.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "bitblock/framework/sequential.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

ConstraintSpec spec_of(Structure structure, int bits, double ratio, int br = 8, int bc = 8) {
  ConstraintSpec s;
  s.weight_bits = bits;
  s.structure = structure;
  s.ratio = ratio;
  if (structure == Structure::Block) {
    s.block_rows = br;
    s.block_cols = bc;
  }
  return s;
}

struct ConvShape {
  int64_t n, c, h, w, oc;
  int k, stride, pad;
};

std::unique_ptr<Conv2d> make_conv(const ConvShape& p, const ConstraintSpec& spec, KernelChoice kernels) {
  auto conv = std::make_unique<Conv2d>(p.c, p.oc, p.k, p.stride, p.pad, true,
                                       std::make_unique<WeightConstraint>(spec, p.oc, p.c * p.k * p.k, 17));
  Rng rng(6);
  conv->weights()->init(rng);
  for (int64_t i = 0; i < p.oc; ++i) conv->weights()->bias()[i] = 0.02f * float(i);
  conv->weights()->set_kernels(kernels);
  return conv;
}

void expect_close(const Tensor& a, const Tensor& b, float tol, const char* what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_NEAR(a[i], b[i], tol * (1.0f + std::fabs(b[i]))) << what << " at " << i;
}

TEST(ConvPacked, MatchesDenseStepByStep) {
  struct Case { ConvShape shape; ConstraintSpec spec; KeptUnit unit; };
  const Case cases[] = {
      {{3, 8, 9, 9, 16, 3, 1, 1}, spec_of(Structure::Block, 4, 2), KeptUnit::Block},
      {{2, 3, 7, 6, 20, 3, 2, 1}, spec_of(Structure::Block, 3, 3, 8, 4), KeptUnit::Block},  // 20 x 27: ragged
      {{2, 4, 8, 8, 12, 3, 1, 0}, spec_of(Structure::Row, 3, 4), KeptUnit::Row},
      {{2, 4, 8, 8, 12, 3, 1, 1}, spec_of(Structure::Column, 1, 4), KeptUnit::Column},
      {{2, 4, 8, 8, 12, 3, 1, 1}, spec_of(Structure::Element, 2, 4), KeptUnit::Element},
      // 144 x 1600 taps per sample: the dense conv runs groups of 18 samples then 2, the compact one
      // single samples
      {{20, 16, 40, 40, 8, 3, 1, 1}, spec_of(Structure::Block, 3, 4), KeptUnit::Block},
      {{20, 16, 40, 40, 8, 3, 1, 1}, spec_of(Structure::Column, 3, 4), KeptUnit::Column}};
  for (const Case& c : cases) {
    const ConvShape& p = c.shape;
    SCOPED_TRACE(::testing::Message() << to_string(c.spec.structure) << " " << p.n << "x" << p.c << "x" << p.h << "x"
                                      << p.w << " -> " << p.oc << " k" << p.k << " s" << p.stride << " p" << p.pad);
    auto dense = make_conv(p, c.spec, KernelChoice::Dense);
    auto packed = make_conv(p, c.spec, KernelChoice::Kept);
    ASSERT_FALSE(dense->weights()->kept_path());
    ASSERT_EQ(packed->weights()->kept_unit(), c.unit);
    ASSERT_EQ(dense->constraint()->mask(), packed->constraint()->mask());
    Rng rng(3);
    Context ctx;
    for (int step = 0; step < 3; ++step) {
      const Tensor x = testing::random_tensor({p.n, p.c, p.h, p.w}, rng);
      const Tensor yd = dense->forward(x, ctx), yp = packed->forward(x, ctx);
      expect_close(yp, yd, 1e-4f, "y");
      const Tensor dy = testing::random_tensor(yd.shape(), rng);
      for (Conv2d* l : {dense.get(), packed.get()})
        for (Param& prm : l->params()) prm.grad->fill(0.0f);
      const Tensor dxd = dense->backward(dy), dxp = packed->backward(dy);
      expect_close(dxp, dxd, 1e-4f, "dx");
      expect_close(packed->weights()->weight_grad(), dense->weights()->weight_grad(), 1e-3f, "dW");  // sums over up to 32000 products
      expect_close(packed->weights()->bias_grad(), dense->weights()->bias_grad(), 1e-4f, "db");
      const std::vector<uint8_t>& mask = dense->constraint()->mask();
      const Tensor& gp = packed->weights()->weight_grad();
      Tensor& wd = dense->weights()->weight();
      Tensor& wp = packed->weights()->weight();
      for (int64_t i = 0; i < wd.numel(); ++i) {
        if (!mask[static_cast<size_t>(i)]) {
          ASSERT_EQ(gp[i], 0.0f) << "dropped weight " << i;
        }
        wd[i] -= 0.05f * dense->weights()->weight_grad()[i];  // same step on both
        wp[i] = wd[i];
      }
    }
  }
}

TEST(ConvPacked, GradientsMatchFiniteDifferences) {
  // Float weights (the quantizers are not differentiable); the probed parameters are the compact ones.
  for (const ConstraintSpec& spec : {spec_of(Structure::Block, 32, 2, 4, 4), spec_of(Structure::Row, 32, 2),
                                     spec_of(Structure::Column, 32, 2), spec_of(Structure::Element, 32, 2)}) {
    SCOPED_TRACE(to_string(spec.structure));
    auto conv = make_conv({2, 2, 5, 4, 8, 3, 2, 1}, spec, KernelChoice::Kept);
    ASSERT_TRUE(conv->weights()->kept_path());
    Rng rng(11);
    testing::expect_gradients_match(*conv, testing::random_tensor({2, 2, 5, 4}, rng));
  }
}

TEST(ConvPacked, TrainsTheSameCnn) {
  for (const ConstraintSpec& spec : {spec_of(Structure::Block, 3, 2), spec_of(Structure::Row, 2, 2),
                                     spec_of(Structure::Column, 1, 2), spec_of(Structure::Element, 4, 4)}) {
    SCOPED_TRACE(to_string(spec.structure));
    auto build = [&spec](KernelChoice k) {
      Sequential net;
      net.emplace<Conv2d>(1, 8, 3, 1, 1, true, nullptr);
      net.emplace<BatchNorm>(8);
      net.emplace<Activation>(ActFn::Relu, 8, 4.0f);
      net.emplace<Conv2d>(8, 16, 3, 2, 1, true, std::make_unique<WeightConstraint>(spec, 16, 72, 5)).weights()->set_kernels(k);
      net.emplace<BatchNorm>(16);
      net.emplace<Activation>(ActFn::Relu, 8, 4.0f);
      net.emplace<Flatten>();
      net.emplace<Linear>(16 * 5 * 5, 10);
      net.init(9);
      net.begin_epoch(0);
      return net;
    };
    Sequential dense = build(KernelChoice::Dense), packed = build(KernelChoice::Kept);
    OptimizerSettings settings;  // Adam
    Optimizer opt_d(settings, dense.params()), opt_p(settings, packed.params());
    Rng rng(23);
    Context ctx;
    for (int step = 0; step < 6; ++step) {
      const Tensor x = testing::random_tensor({16, 1, 10, 10}, rng, 0.0f, 1.0f);
      std::vector<int32_t> labels(16);
      for (int32_t& l : labels) l = static_cast<int32_t>(rng.below(10));
      double losses[2];
      Sequential* nets[2] = {&dense, &packed};
      Optimizer* opts[2] = {&opt_d, &opt_p};
      for (int k = 0; k < 2; ++k) {
        nets[k]->zero_grad();
        Tensor dlogits;
        const Tensor logits = nets[k]->forward(x, ctx);
        losses[k] = softmax_cross_entropy(logits, labels.data(), &dlogits).loss;
        nets[k]->backward(dlogits);
        opts[k]->step(1e-2);
        nets[k]->after_optimizer_step();
      }
      EXPECT_NEAR(losses[1], losses[0], 1e-4 * (1.0 + std::fabs(losses[0]))) << "step " << step;
    }
  }
}

// The trainer shrinks the OpenMP team while other processes hold cores (core_watch.hpp), which
// is sound only if bitblock's own kernels give the same bits whatever the team: a kept-path CNN
// (sizes past every parallel threshold: patch products, weight gradient, batch norm, element-wise
// loops) takes two Adam steps with teams of 1, 2 and 3 threads.
TEST(ConvPacked, TheOpenMpTeamDoesNotChangeTheBits) {
  struct Result {
    std::vector<float> logits, dx;
    std::vector<std::vector<float>> params;
  };
  auto run = [](int team) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(team);
    Sequential net;
    net.emplace<Conv2d>(3, 32, 3, 1, 1, true, nullptr);
    net.emplace<BatchNorm>(32);
    net.emplace<Activation>(ActFn::Relu, 8, 4.0f);
    net.emplace<Conv2d>(32, 64, 3, 1, 1, true, std::make_unique<WeightConstraint>(spec_of(Structure::Block, 1, 2), 64, 288, 5))
        .weights()
        ->set_kernels(KernelChoice::Kept);
    net.emplace<BatchNorm>(64);
    net.emplace<Activation>(ActFn::Relu, 8, 4.0f);
    net.emplace<MaxPool2d>(4);
    net.emplace<Flatten>();
    net.emplace<Linear>(64 * 8 * 8, 10, true, std::make_unique<WeightConstraint>(spec_of(Structure::Block, 2, 2), 10, 4096, 6))
        .weights()
        ->set_kernels(KernelChoice::Kept);
    net.init(9);
    net.begin_epoch(0);
    Optimizer opt(OptimizerSettings{}, net.params());
    Rng rng(23);
    Context ctx;
    Result r;
    for (int step = 0; step < 2; ++step) {
      const Tensor x = testing::random_tensor({16, 3, 32, 32}, rng, 0.0f, 1.0f);
      std::vector<int32_t> labels(16);
      for (int32_t& l : labels) l = static_cast<int32_t>(rng.below(10));
      net.zero_grad();
      Tensor dlogits;
      const Tensor logits = net.forward(x, ctx);
      r.logits = logits.values();
      softmax_cross_entropy(logits, labels.data(), &dlogits);
      r.dx = net.backward(dlogits).values();
      opt.step(1e-2);
      net.after_optimizer_step();
    }
    for (const Param& p : net.params()) r.params.push_back(p.value->values());
    omp_set_num_threads(saved);
    return r;
  };
  const Result one = run(1);
  for (int team : {2, 3}) {
    const Result other = run(team);
    EXPECT_EQ(other.logits, one.logits) << team << " threads";
    EXPECT_EQ(other.dx, one.dx) << team << " threads";
    EXPECT_EQ(other.params, one.params) << team << " threads";
  }
}

}  // namespace
}  // namespace bitblock
