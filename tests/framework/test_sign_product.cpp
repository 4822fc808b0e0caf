// Binary-weight layers fed by sign activations run their forward product on the binary GEMM:
// outputs equal scale x (the exact integer sum of +-1 products) + bias, computed here by plain
// loops from the layer's own W_eff, for Linear and Conv2d (zero padding), on the dense path (no
// structure, masked blocks) and the compact path (kept blocks, ragged; rows; columns), at batch 1
// and K not a multiple of 64; the float path agrees within float rounding; element structure,
// wider weights and float inputs keep the float product; the model builder marks exactly the
// layers that follow a sign activation (through max-pool and flatten). Input gradients (float dy
// times W_eff) stay on the float product and equal it bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "bitblock/framework/config.hpp"
#include "bitblock/framework/layers.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/sequential.hpp"

namespace bitblock {
namespace {

ConstraintSpec spec_of(Structure structure, double ratio, ScaleMode scale, int br = 8, int bc = 8) {
  ConstraintSpec s;
  s.weight_bits = 1;
  s.structure = structure;
  s.ratio = ratio;
  s.scale = scale;
  if (structure == Structure::Block) {
    s.block_rows = br;
    s.block_cols = bc;
  }
  return s;
}

// +-1 values, and 0 where `zeros` says so.
Tensor signs(const Shape& shape, uint64_t seed, bool zeros = false) {
  Tensor t(shape);
  Rng rng(seed);
  for (float& v : t.values()) v = zeros && rng.below(6) == 0 ? 0.0f : (rng.below(2) ? 1.0f : -1.0f);
  return t;
}

int sign_of(float w) { return w > 0.0f ? 1 : (w < 0.0f ? -1 : 0); }

// Row scales of W_eff [rows, cols]: |w| at any kept (nonzero) position.
std::vector<float> scales_of(const Tensor& w, int64_t rows, int64_t cols) {
  std::vector<float> s(static_cast<size_t>(rows), 0.0f);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k)
      if (w[n * cols + k] != 0.0f) s[static_cast<size_t>(n)] = std::fabs(w[n * cols + k]);
  return s;
}

struct LinearCase {
  int64_t in, out, batch;
  ConstraintSpec spec;
  KeptUnit unit;
};

TEST(SignProduct, LinearEqualsScaleTimesExactIntegerSum) {
  const LinearCase cases[] = {
      {100, 20, 1, spec_of(Structure::None, 1, ScaleMode::PerLayer), KeptUnit::None},
      {130, 24, 9, spec_of(Structure::None, 1, ScaleMode::PerRow), KeptUnit::None},
      {100, 20, 5, spec_of(Structure::Block, 1.5, ScaleMode::PerRow), KeptUnit::None},  // masked dense, ragged
      {100, 20, 5, spec_of(Structure::Block, 4, ScaleMode::PerLayer), KeptUnit::Block},  // ragged blocks
      {200, 64, 3, spec_of(Structure::Block, 2, ScaleMode::PerRow, 16, 8), KeptUnit::Block},
      {70, 30, 4, spec_of(Structure::Row, 2, ScaleMode::PerRow), KeptUnit::Row},
      {70, 30, 4, spec_of(Structure::Column, 2, ScaleMode::PerLayer), KeptUnit::Column},
  };
  for (const LinearCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.in << " -> " << c.out << " batch " << c.batch << " "
                                      << to_string(c.spec.structure) << " ratio " << c.spec.ratio);
    Linear layer(c.in, c.out, true, std::make_unique<WeightConstraint>(c.spec, c.out, c.in, 5));
    Rng rng(8);
    layer.weights()->init(rng);
    for (int64_t n = 0; n < c.out; ++n) layer.weights()->bias()[n] = 0.1f * static_cast<float>(n);
    layer.weights()->set_sign_input(true);
    ASSERT_EQ(layer.weights()->kept_unit(), c.unit);
    const Tensor x = signs({c.batch, c.in}, 3);
    Context ctx;
    const Tensor y = layer.forward(x, ctx);
    EXPECT_TRUE(layer.weights()->sign_product());
    const Tensor w = layer.weights()->effective_weight();
    const std::vector<float> s = scales_of(w, c.out, c.in);
    for (int64_t m = 0; m < c.batch; ++m)
      for (int64_t n = 0; n < c.out; ++n) {
        int64_t acc = 0;
        for (int64_t k = 0; k < c.in; ++k) acc += static_cast<int64_t>(x[m * c.in + k]) * sign_of(w[n * c.in + k]);
        ASSERT_EQ(y[m * c.out + n], static_cast<float>(acc) * s[n] + layer.weights()->bias()[n]) << m << "," << n;
      }
    // The float path: the same values up to the rounding of its +-scale sums.
    Linear plain(c.in, c.out, true, std::make_unique<WeightConstraint>(c.spec, c.out, c.in, 5));
    Rng rng2(8);
    plain.weights()->init(rng2);
    for (int64_t n = 0; n < c.out; ++n) plain.weights()->bias()[n] = 0.1f * static_cast<float>(n);
    const Tensor y_float = plain.forward(x, ctx);
    EXPECT_FALSE(plain.weights()->sign_product());
    for (int64_t e = 0; e < y.numel(); ++e) ASSERT_NEAR(y[e], y_float[e], 1e-5f * (1.0f + std::fabs(y_float[e])));
  }
}

struct ConvCase {
  int64_t n, c, h, w, oc;
  int k, stride, pad;
  ConstraintSpec spec;
  KeptUnit unit;
};

TEST(SignProduct, ConvWithZeroPaddingEqualsScaleTimesExactIntegerSum) {
  const ConvCase cases[] = {
      {1, 3, 5, 6, 7, 3, 1, 1, spec_of(Structure::None, 1, ScaleMode::PerLayer), KeptUnit::None},
      {2, 8, 7, 7, 16, 3, 1, 1, spec_of(Structure::None, 1, ScaleMode::PerRow), KeptUnit::None},
      {2, 8, 6, 6, 20, 3, 2, 1, spec_of(Structure::Block, 2, ScaleMode::PerRow), KeptUnit::Block},  // 20 x 72
      {3, 5, 6, 5, 12, 3, 1, 0, spec_of(Structure::Block, 4, ScaleMode::PerLayer, 8, 4), KeptUnit::Block},
      {2, 4, 6, 6, 10, 3, 1, 1, spec_of(Structure::Row, 2, ScaleMode::PerRow), KeptUnit::Row},
  };
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.c << "x" << c.h << "x" << c.w << " -> " << c.oc << " k" << c.k << " s"
                                      << c.stride << " p" << c.pad << " " << to_string(c.spec.structure));
    const int64_t fan_in = c.c * c.k * c.k;
    Conv2d conv(c.c, c.oc, c.k, c.stride, c.pad, true, std::make_unique<WeightConstraint>(c.spec, c.oc, fan_in, 7));
    Rng rng(9);
    conv.weights()->init(rng);
    for (int64_t o = 0; o < c.oc; ++o) conv.weights()->bias()[o] = -0.05f * static_cast<float>(o);
    conv.weights()->set_sign_input(true);
    ASSERT_EQ(conv.weights()->kept_unit(), c.unit);
    const Tensor x = signs({c.n, c.c, c.h, c.w}, 4);
    Context ctx;
    const Tensor y = conv.forward(x, ctx);
    EXPECT_TRUE(conv.weights()->sign_product());
    const Tensor w = conv.weights()->effective_weight();
    const std::vector<float> s = scales_of(w, c.oc, fan_in);
    const int64_t oh = y.dim(2), ow = y.dim(3);
    for (int64_t i = 0; i < c.n; ++i)
      for (int64_t o = 0; o < c.oc; ++o)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox) {
            int64_t acc = 0;
            for (int64_t ch = 0; ch < c.c; ++ch)
              for (int ky = 0; ky < c.k; ++ky)
                for (int kx = 0; kx < c.k; ++kx) {
                  const int64_t iy = oy * c.stride + ky - c.pad, ix = ox * c.stride + kx - c.pad;
                  if (iy < 0 || ix < 0 || iy >= c.h || ix >= c.w) continue;
                  acc += static_cast<int64_t>(x[((i * c.c + ch) * c.h + iy) * c.w + ix]) *
                         sign_of(w[o * fan_in + (ch * c.k + ky) * c.k + kx]);
                }
            ASSERT_EQ(y[((i * c.oc + o) * oh + oy) * ow + ox], static_cast<float>(acc) * s[o] + conv.weights()->bias()[o])
                << "sample " << i << " channel " << o << " at " << oy << "," << ox;
          }
  }
}

// Values in [-1, 1) for output gradients.
Tensor gradients(const Shape& shape, uint64_t seed) {
  Tensor t(shape);
  Rng rng(seed);
  for (float& v : t.values()) v = static_cast<float>(rng.below(2001)) / 1000.0f - 1.0f;
  return t;
}

// The input gradient of a layer on the binary path: dy (float) times W_eff, the same product as
// on the float path (equal bits), and equal to a plain double loop within float rounding.
TEST(SignProduct, InputGradientsEqualTheFloatPathAndPlainLoops) {
  const LinearCase lin[] = {
      {130, 24, 1, spec_of(Structure::None, 1, ScaleMode::PerRow), KeptUnit::None},
      {100, 20, 5, spec_of(Structure::Block, 4, ScaleMode::PerLayer), KeptUnit::Block},  // ragged blocks
      {70, 30, 4, spec_of(Structure::Row, 2, ScaleMode::PerRow), KeptUnit::Row},
  };
  for (const LinearCase& c : lin) {
    SCOPED_TRACE(::testing::Message() << "linear " << c.in << " -> " << c.out << " " << to_string(c.spec.structure));
    Linear bin(c.in, c.out, true, std::make_unique<WeightConstraint>(c.spec, c.out, c.in, 5));
    Linear plain(c.in, c.out, true, std::make_unique<WeightConstraint>(c.spec, c.out, c.in, 5));
    Rng r1(8), r2(8);
    bin.weights()->init(r1);
    plain.weights()->init(r2);
    bin.weights()->set_sign_input(true);
    const Tensor x = signs({c.batch, c.in}, 3);
    const Tensor dy = gradients({c.batch, c.out}, 4);
    Context ctx;
    bin.forward(x, ctx);
    plain.forward(x, ctx);
    ASSERT_TRUE(bin.weights()->sign_product());
    const Tensor dx = bin.backward(dy), dx_float = plain.backward(dy);
    const Tensor w = bin.weights()->effective_weight();
    for (int64_t m = 0; m < c.batch; ++m)
      for (int64_t k = 0; k < c.in; ++k) {
        double want = 0;
        for (int64_t n = 0; n < c.out; ++n) want += static_cast<double>(dy[m * c.out + n]) * w[n * c.in + k];
        const int64_t e = m * c.in + k;
        ASSERT_EQ(dx[e], dx_float[e]) << m << "," << k;
        ASSERT_NEAR(dx[e], want, 1e-5 * (1.0 + std::fabs(want))) << m << "," << k;
      }
  }
  const ConvCase conv_cases[] = {
      {1, 3, 5, 6, 7, 3, 1, 1, spec_of(Structure::None, 1, ScaleMode::PerLayer), KeptUnit::None},
      {2, 8, 6, 6, 20, 3, 2, 1, spec_of(Structure::Block, 2, ScaleMode::PerRow), KeptUnit::Block},
  };
  for (const ConvCase& c : conv_cases) {
    SCOPED_TRACE(::testing::Message() << "conv " << c.c << "x" << c.h << "x" << c.w << " -> " << c.oc << " s"
                                      << c.stride << " " << to_string(c.spec.structure));
    const int64_t fan_in = c.c * c.k * c.k;
    Conv2d bin(c.c, c.oc, c.k, c.stride, c.pad, true, std::make_unique<WeightConstraint>(c.spec, c.oc, fan_in, 7));
    Conv2d plain(c.c, c.oc, c.k, c.stride, c.pad, true, std::make_unique<WeightConstraint>(c.spec, c.oc, fan_in, 7));
    Rng r1(9), r2(9);
    bin.weights()->init(r1);
    plain.weights()->init(r2);
    bin.weights()->set_sign_input(true);
    const Tensor x = signs({c.n, c.c, c.h, c.w}, 4);
    Context ctx;
    const Tensor y = bin.forward(x, ctx);
    plain.forward(x, ctx);
    ASSERT_TRUE(bin.weights()->sign_product());
    const Tensor dy = gradients(y.shape(), 5);
    const Tensor dx = bin.backward(dy), dx_float = plain.backward(dy);
    const Tensor w = bin.weights()->effective_weight();
    const int64_t oh = y.dim(2), ow = y.dim(3);
    std::vector<double> want(static_cast<size_t>(x.numel()), 0.0);
    for (int64_t i = 0; i < c.n; ++i)
      for (int64_t o = 0; o < c.oc; ++o)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox)
            for (int64_t ch = 0; ch < c.c; ++ch)
              for (int ky = 0; ky < c.k; ++ky)
                for (int kx = 0; kx < c.k; ++kx) {
                  const int64_t iy = oy * c.stride + ky - c.pad, ix = ox * c.stride + kx - c.pad;
                  if (iy < 0 || ix < 0 || iy >= c.h || ix >= c.w) continue;
                  want[static_cast<size_t>(((i * c.c + ch) * c.h + iy) * c.w + ix)] +=
                      static_cast<double>(dy[((i * c.oc + o) * oh + oy) * ow + ox]) *
                      w[o * fan_in + (ch * c.k + ky) * c.k + kx];
                }
    for (int64_t e = 0; e < x.numel(); ++e) {
      ASSERT_EQ(dx[e], dx_float[e]) << e;
      ASSERT_NEAR(dx[e], want[static_cast<size_t>(e)], 1e-5 * (1.0 + std::fabs(want[static_cast<size_t>(e)]))) << e;
    }
  }
}

TEST(SignProduct, OnlyOneBitWeightsWithWholeUnitsTakeTheBinaryGemm) {
  const Tensor x = signs({4, 64}, 2);
  Context ctx;
  auto run = [&](ConstraintSpec spec, bool sign_input) {
    Linear layer(64, 16, true, std::make_unique<WeightConstraint>(spec, 16, 64, 5));
    Rng rng(1);
    layer.weights()->init(rng);
    layer.weights()->set_sign_input(sign_input);
    layer.forward(x, ctx);
    return layer.weights()->sign_product();
  };
  EXPECT_TRUE(run(spec_of(Structure::None, 1, ScaleMode::PerLayer), true));
  EXPECT_FALSE(run(spec_of(Structure::None, 1, ScaleMode::PerLayer), false));
  EXPECT_FALSE(run(spec_of(Structure::Element, 4, ScaleMode::PerLayer), true));
  ConstraintSpec two_bits = spec_of(Structure::None, 1, ScaleMode::PerLayer);
  two_bits.weight_bits = 2;
  EXPECT_FALSE(run(two_bits, true));
}

TEST(SignProduct, ModelBuilderMarksLayersAfterSignActivations) {
  const std::string yaml = R"(
name: signs
data: {set: mnist}
model:
  layers:
    - {type: conv, out: 4, kernel: 3, padding: 1}
    - {type: act, fn: sign}
    - {type: maxpool, kernel: 2}
    - {type: conv, out: 4, kernel: 3, padding: 1}
    - {type: act, fn: sign}
    - {type: flatten}
    - {type: linear, out: 16}
    - {type: batchnorm}
    - {type: act, fn: sign}
    - {type: dropout, p: 0.1}
    - {type: linear, out: 16}
    - {type: act, fn: sign}
    - {type: linear, out: 10}
constraints:
  default: {weight_bits: 1}
train: {epochs: 1, batch_size: 4}
)";
  const ExperimentConfig config = parse_config(yaml, "signs.yaml", {});
  Sequential net = build_model(config, dataset_input(config.dataset));
  Tensor x({2, 1, 28, 28});
  Rng rng(3);
  for (float& v : x.values()) v = rng.uniform(-1.0f, 1.0f);
  Context ctx;
  ctx.training = false;  // dropout passes values through, its layer still breaks the signs
  net.forward(x, ctx);
  auto binary = [&](size_t i) { return net.layer(i).weights()->sign_product(); };
  EXPECT_FALSE(binary(0));   // pixels
  EXPECT_TRUE(binary(3));    // sign, max-pool
  EXPECT_TRUE(binary(6));    // sign, flatten
  EXPECT_FALSE(binary(10));  // dropout scales the signs
  EXPECT_TRUE(binary(12));
}

}  // namespace
}  // namespace bitblock
