// Sequential: naming, shapes, MACs, composition of forward/backward, gradient check through a
// whole small model, bit-identical runs with 2 OpenMP threads, and a few training steps.
#include <gtest/gtest.h>
#include <omp.h>

#include <utility>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/layers.hpp"
#include "bitblock/framework/loss.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "bitblock/framework/sequential.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

Sequential small_cnn(float dropout) {
  Sequential m;
  m.emplace<Conv2d>(1, 4, 3, 1, 1);
  m.emplace<BatchNorm>(4);
  m.emplace<Activation>(ActFn::Relu);
  m.emplace<MaxPool2d>(2);
  m.emplace<Flatten>();
  m.emplace<Dropout>(dropout);
  m.emplace<Linear>(4 * 3 * 3, 5);
  return m;
}

TEST(Sequential, NamesShapesAndMacs) {
  Sequential m = small_cnn(0.5f);
  m.init(1);
  const auto params = m.params();
  std::vector<std::string> names;
  for (const Param& p : params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.gamma", "1.beta", "6.weight", "6.bias"}));
  EXPECT_TRUE(params[0].decay);
  EXPECT_FALSE(params[1].decay);
  const auto buffers = m.buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].name, "1.running_mean");
  EXPECT_EQ(m.output_shape({1, 6, 6}), (Shape{5}));
  EXPECT_EQ(m.macs({1, 6, 6}), 4 * 9 * 36 + 36 * 5);
  EXPECT_EQ(m.num_parameters(), 4 * 9 + 4 + 4 + 4 + 36 * 5 + 5);
  try {
    m.output_shape({1, 8, 8});  // flatten gives 64, linear wants 36
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model layer 6"), std::string::npos) << e.what();
  }
  EXPECT_NE(m.summary({1, 6, 6}).find("conv2d 1 -> 4"), std::string::npos);
}

TEST(Sequential, InitDependsOnSeedAndLayerIndexOnly) {
  Sequential a = small_cnn(0.0f), b = small_cnn(0.0f), c = small_cnn(0.0f);
  a.init(7);
  b.init(7);
  c.init(8);
  EXPECT_EQ(a.params()[4].value->values(), b.params()[4].value->values());
  EXPECT_NE(a.params()[4].value->values(), c.params()[4].value->values());
  EXPECT_NE(a.params()[0].value->values()[0], 0.0f);
}

TEST(Sequential, WholeModelGradientMatchesFiniteDifferences) {
  // A composition that is smooth everywhere (linear -> batchnorm -> linear), so the chain rule
  // through Sequential is checked without kinks.
  Sequential m;
  m.emplace<Linear>(4, 6);
  m.emplace<BatchNorm>(6);
  m.emplace<Linear>(6, 3);
  m.init(3);
  Rng rng(60);
  const Tensor x = testing::random_tensor({5, 4}, rng);
  Context ctx;
  const Tensor y = m.forward(x, ctx);
  const Tensor r = testing::random_tensor(y.shape(), rng);
  m.zero_grad();
  const Tensor dx = m.backward(r);
  auto params = m.params();
  const float eps = 1e-2f;
  auto f = [&]() {
    Context c;
    return testing::weighted_sum(m.forward(x, c), r);
  };
  for (const Param& p : params)
    for (int64_t i = 0; i < p.value->numel(); ++i) {
      float& v = (*p.value)[i];
      const float saved = v;
      v = saved + eps;
      const double plus = f();
      v = saved - eps;
      const double minus = f();
      v = saved;
      const double num = (plus - minus) / (2.0 * eps);
      EXPECT_NEAR(num, (*p.grad)[i], 1e-3 + 1e-2 * std::fabs(num)) << p.name << "[" << i << "]";
    }
  Tensor xp = x;
  for (int64_t i = 0; i < x.numel(); ++i) {
    xp[i] = x[i] + eps;
    Context c1;
    const double plus = testing::weighted_sum(m.forward(xp, c1), r);
    xp[i] = x[i] - eps;
    Context c2;
    const double minus = testing::weighted_sum(m.forward(xp, c2), r);
    xp[i] = x[i];
    const double num = (plus - minus) / (2.0 * eps);
    EXPECT_NEAR(num, dx[i], 1e-3 + 1e-2 * std::fabs(num)) << "x[" << i << "]";
  }
}

struct RunResult {
  std::vector<float> logits, dx;
  std::vector<std::vector<float>> grads, buffers, params;
};

RunResult run_once() {
  // Conv output, batch-norm input and the 4096x256 weight reach kernels::kParallelMinElements (kernels/common/parallel.hpp), so the
  // element loops and the optimizer run on both threads.
  Sequential m;
  m.emplace<Conv2d>(3, 16, 3, 1, 1);
  m.emplace<BatchNorm>(16);
  m.emplace<Activation>(ActFn::Relu, 4, 2.0f);
  m.emplace<MaxPool2d>(2);
  m.emplace<Flatten>();
  m.emplace<Dropout>(0.3f);
  m.emplace<Linear>(16 * 16 * 16, 256);
  m.emplace<BatchNorm>(256);
  m.emplace<Activation>(ActFn::Hardtanh);
  m.emplace<Linear>(256, 10);
  m.init(11);
  Rng data(12);
  const Tensor x = testing::random_tensor({64, 3, 32, 32}, data);
  std::vector<int32_t> labels(64);
  for (auto& l : labels) l = static_cast<int32_t>(data.below(10));
  RandomStream drop(Rng(13));
  Context ctx;
  ctx.rng = &drop;
  m.zero_grad();
  const Tensor logits = m.forward(x, ctx);
  Tensor dlogits;
  softmax_cross_entropy(logits, labels.data(), &dlogits);
  const Tensor dx = m.backward(dlogits);
  RunResult r{logits.values(), dx.values(), {}, {}, {}};
  for (const Param& p : m.params()) r.grads.push_back(p.grad->values());
  for (const Buffer& b : m.buffers()) r.buffers.push_back(b.value->values());
  Optimizer opt(OptimizerSettings{}, m.params());
  opt.step(1e-3);
  for (const Param& p : m.params()) r.params.push_back(p.value->values());
  return r;
}

// An input and an output gradient of U(-1, 1) values, in that order from one seed.
std::pair<Tensor, Tensor> uniform_pair(const Shape& x_shape, const Shape& dy_shape, uint64_t seed) {
  Rng rng(seed);
  Tensor x(x_shape), dy(dy_shape);
  for (float& v : x.values()) v = rng.uniform(-1.0f, 1.0f);
  for (float& v : dy.values()) v = rng.uniform(-1.0f, 1.0f);
  return {x, dy};
}

// backward_params (the trainer's backward: no input gradient for the first weight layer) must
// leave exactly the parameter gradients backward leaves, for a conv and a linear first layer.
TEST(Sequential, BackwardParamsGivesTheSameParameterGradients) {
  auto mlp = [] {
    Sequential m;
    m.emplace<Flatten>();
    m.emplace<Linear>(36, 8);
    m.emplace<BatchNorm>(8);
    m.emplace<Activation>(ActFn::Relu, 4, 2.0f);
    m.emplace<Linear>(8, 5);
    return m;
  };
  for (int which = 0; which < 2; ++which) {
    Sequential m = which == 0 ? small_cnn(0.0f) : mlp();
    m.init(3);
    const auto [x, dy] = uniform_pair({6, 1, 6, 6}, {6, 5}, 4);
    Context ctx;
    std::vector<std::vector<float>> full;
    m.zero_grad();
    m.forward(x, ctx);
    m.backward(dy);
    for (const Param& p : m.params()) full.push_back(p.grad->values());
    m.zero_grad();
    m.forward(x, ctx);
    m.backward_params(dy);
    const auto params = m.params();
    for (size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i].grad->values(), full[i]) << params[i].name;
  }
}

// Sequential runs a batch norm and the activation after it as one pass; that gives the bits of
// calling the layers one by one (outputs, input gradients, parameter gradients, running
// statistics), training and evaluating, with backward and backward_params, also where the pair's
// batch norm is the first layer with parameters.
TEST(Sequential, FusedBatchNormAndActivationGiveTheBitsOfLayerByLayer) {
  auto cnn = [] {
    Sequential m;
    m.emplace<Conv2d>(1, 4, 3, 1, 1);
    m.emplace<BatchNorm>(4);
    m.emplace<Activation>(ActFn::Relu, 8, 4.0f);
    m.emplace<Flatten>();
    m.emplace<Linear>(36, 7);
    m.emplace<BatchNorm>(7);
    m.emplace<Activation>(ActFn::Hardtanh, 2, 1.0f);
    m.emplace<Linear>(7, 5);
    m.emplace<BatchNorm>(5);
    m.emplace<Activation>(ActFn::Sign, 1, 1.0f);
    return m;
  };
  auto bn_first = [] {
    Sequential m;
    m.emplace<Flatten>();
    m.emplace<BatchNorm>(9);
    m.emplace<Activation>(ActFn::Relu, 4, 2.0f);
    m.emplace<Linear>(9, 5);
    return m;
  };
  struct Result {
    std::vector<float> y, dx;
    std::vector<std::vector<float>> state;
  };
  for (int which = 0; which < 2; ++which)
    for (bool training : {true, false})
      for (bool params_only : {false, true}) {
        auto run = [&](bool layer_by_layer) {
          Sequential m = which == 0 ? cnn() : bn_first();
          m.init(5);
          const auto [x, dy] = uniform_pair({6, 1, 3, 3}, {6, 5}, 6);
          Context ctx;
          ctx.training = training;
          m.zero_grad();
          Result r;
          if (layer_by_layer) {
            Tensor h = x;
            for (size_t i = 0; i < m.size(); ++i) h = m.layer(i).forward(h, ctx);
            r.y = h.values();
            Tensor g = dy;
            for (size_t i = m.size(); i-- > 0;) g = m.layer(i).backward(g);
            if (!params_only) r.dx = g.values();
          } else {
            r.y = m.forward(x, ctx).values();
            if (params_only) {
              m.backward_params(dy);
            } else {
              r.dx = m.backward(dy).values();
            }
          }
          for (const Param& p : m.params()) r.state.push_back(p.grad->values());
          for (const Buffer& b : m.buffers()) r.state.push_back(b.value->values());
          return r;
        };
        SCOPED_TRACE("model " + std::to_string(which) + (training ? " training" : " eval") +
                     (params_only ? " backward_params" : " backward"));
        const Result fused = run(false), apart = run(true);
        EXPECT_EQ(fused.y, apart.y);
        EXPECT_EQ(fused.dx, apart.dx);
        EXPECT_EQ(fused.state, apart.state);
      }
}

TEST(Sequential, TwoRunsAreBitIdenticalWithTwoThreads) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(2);
  const RunResult a = run_once();
  const RunResult b = run_once();
  omp_set_num_threads(saved);
  EXPECT_EQ(a.logits, b.logits);
  EXPECT_EQ(a.dx, b.dx);
  EXPECT_EQ(a.grads, b.grads);
  EXPECT_EQ(a.buffers, b.buffers);
  EXPECT_EQ(a.params, b.params);
}

TEST(Sequential, AdamTrainingFitsASmallProblem) {
  // 3 classes separable by the sign pattern of the first two inputs; loss must fall well below chance.
  Sequential m;
  m.emplace<Linear>(4, 16);
  m.emplace<Activation>(ActFn::Relu);
  m.emplace<Linear>(16, 3);
  m.init(5);
  OptimizerSettings s;
  Optimizer opt(s, m.params());
  Rng rng(61);
  Tensor x({32, 4});
  std::vector<int32_t> labels(32);
  for (int64_t n = 0; n < 32; ++n) {
    for (int64_t i = 0; i < 4; ++i) x[n * 4 + i] = rng.uniform(-1.0f, 1.0f);
    labels[static_cast<size_t>(n)] = x[n * 4] > 0 ? 0 : (x[n * 4 + 1] > 0 ? 1 : 2);
  }
  double first = 0.0, last = 0.0;
  Tensor dlogits;
  for (int step = 0; step < 300; ++step) {
    Context ctx;
    m.zero_grad();
    const LossResult r = softmax_cross_entropy(m.forward(x, ctx), labels.data(), &dlogits);
    m.backward(dlogits);
    opt.step(0.01);
    m.after_optimizer_step();
    if (step == 0) first = r.loss;
    last = r.loss;
  }
  EXPECT_GT(first, 0.8);
  EXPECT_LT(last, 0.15);
}

}  // namespace
}  // namespace bitblock
