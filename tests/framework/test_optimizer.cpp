// Optimizers: updates against hand-computed values (SGD, momentum with weight decay, Nesterov,
// Adam with bias correction), decay only where the param asks for it, state round trip.
#include <gtest/gtest.h>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/optimizer.hpp"

namespace bitblock {
namespace {

struct OneParam {
  Tensor w{Shape{1}, 1.0f}, g{Shape{1}, 0.0f};
  Param param(bool decay = true) { return {"w", &w, &g, decay}; }
};

TEST(Sgd, PlainStep) {
  OneParam p;
  OptimizerSettings s;
  s.kind = OptimizerKind::Sgd;
  s.momentum = 0.0;
  Optimizer opt(s, {p.param()});
  p.g[0] = 0.5f;
  opt.step(0.1);
  EXPECT_FLOAT_EQ(p.w[0], 0.95f);
  EXPECT_EQ(opt.step_count(), 1);
}

TEST(Sgd, MomentumWithWeightDecayOnlyForDecayParams) {
  OneParam a, b;
  OptimizerSettings s;
  s.kind = OptimizerKind::Sgd;
  s.momentum = 0.9;
  s.weight_decay = 0.1;
  Optimizer opt(s, {a.param(true), b.param(false)});
  a.g[0] = b.g[0] = 0.5f;
  opt.step(0.1);
  // a: g = 0.5 + 0.1 * 1 = 0.6, v = 0.6, w = 0.94.   b: v = 0.5, w = 0.95.
  EXPECT_FLOAT_EQ(a.w[0], 0.94f);
  EXPECT_FLOAT_EQ(b.w[0], 0.95f);
  opt.step(0.1);
  // a: g = 0.5 + 0.094 = 0.594, v = 0.54 + 0.594 = 1.134, w = 0.8266.   b: v = 0.95, w = 0.855.
  EXPECT_NEAR(a.w[0], 0.8266f, 1e-6);
  EXPECT_NEAR(b.w[0], 0.855f, 1e-6);
}

TEST(Sgd, Nesterov) {
  OneParam p;
  OptimizerSettings s;
  s.kind = OptimizerKind::Sgd;
  s.momentum = 0.9;
  s.nesterov = true;
  Optimizer opt(s, {p.param()});
  p.g[0] = 0.5f;
  opt.step(0.1);  // v = 0.5, update = 0.5 + 0.45 = 0.95
  EXPECT_NEAR(p.w[0], 0.905f, 1e-6);
  opt.step(0.1);  // v = 0.95, update = 0.5 + 0.855 = 1.355
  EXPECT_NEAR(p.w[0], 0.7695f, 1e-6);
}

TEST(Adam, BiasCorrectedStepsWithDecay) {
  OneParam p;
  OptimizerSettings s;  // Adam, beta1 0.9, beta2 0.999, eps 1e-8
  s.weight_decay = 0.1;
  Optimizer opt(s, {p.param()});
  p.g[0] = 0.5f;
  opt.step(0.01);  // first step moves by lr (m_hat / sqrt(v_hat) = 1)
  EXPECT_NEAR(p.w[0], 0.99f, 1e-7);
  p.g[0] = -1.0f;
  opt.step(0.01);  // hand-computed: g = -0.901, m = -0.0361, v = 0.001171441 -> w = 0.99248199
  EXPECT_NEAR(p.w[0], 0.99248199f, 2e-7);
}

TEST(Optimizer, StateRoundTripContinuesIdentically) {
  for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam}) {
    OptimizerSettings s;
    s.kind = kind;
    Tensor w1({3}, {0.1f, -0.2f, 0.3f}), g1({3}, {0.5f, 0.25f, -1.0f});
    Optimizer a(s, {{"0.weight", &w1, &g1, true}});
    a.step(0.05);
    // A fresh optimizer restored from a's state and step count (as a checkpoint would).
    Tensor w2 = w1, g2 = g1;
    Optimizer b(s, {{"0.weight", &w2, &g2, true}});
    const auto sa = a.state();
    auto sb = b.state();
    ASSERT_EQ(sa.size(), kind == OptimizerKind::Adam ? 2u : 1u);
    for (size_t i = 0; i < sa.size(); ++i) {
      EXPECT_EQ(sa[i].name, sb[i].name);
      *sb[i].value = *sa[i].value;
    }
    EXPECT_EQ(sa[0].name, kind == OptimizerKind::Adam ? "0.weight.m" : "0.weight.momentum");
    b.set_step_count(a.step_count());
    g1.values() = g2.values() = {-0.3f, 0.7f, 0.2f};
    a.step(0.05);
    b.step(0.05);
    EXPECT_EQ(w1.values(), w2.values()) << to_string(kind);
  }
}

TEST(Optimizer, RejectsBadSettings) {
  OptimizerSettings s;
  s.kind = OptimizerKind::Sgd;
  s.momentum = 1.0;
  EXPECT_THROW(validate_optimizer(s, "optimizer"), InputError);
  s.momentum = 0.0;
  s.nesterov = true;
  EXPECT_THROW(validate_optimizer(s, "optimizer"), InputError);
  OptimizerSettings a;
  a.eps = 0.0;
  EXPECT_THROW(validate_optimizer(a, "optimizer"), InputError);
  a.eps = 1e-8;
  a.weight_decay = -1.0;
  EXPECT_THROW(validate_optimizer(a, "optimizer"), InputError);
  EXPECT_EQ(parse_name(kOptimizerNames, "sgd", "optimizer.type"), OptimizerKind::Sgd);
  EXPECT_THROW(parse_name(kOptimizerNames, "rmsprop", "optimizer.type"), InputError);
}

}  // namespace
}  // namespace bitblock
