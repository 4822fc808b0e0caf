// The weight part (WeightMatrix) that Linear and Conv2d share: a Linear and a 1x1 Conv2d of the
// same shape initialise, name, describe, count and multiply alike, the model reaches the part
// through Layer::weights() (null for layers without weights), and the kept-weights path is
// chosen by "kept" or its old name "packed". Expected values are drawn or written here, not read
// from the code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/common/rng.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/layers.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/sequential.hpp"
#include "bitblock/framework/weight_matrix.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

constexpr int64_t kIn = 6, kOut = 4;

ConstraintSpec row_spec() {
  ConstraintSpec s;
  s.weight_bits = 3;
  s.structure = Structure::Row;
  s.ratio = 2.0;
  return s;
}

std::unique_ptr<WeightConstraint> constraint(uint64_t seed) {
  return std::make_unique<WeightConstraint>(row_spec(), kOut, kIn, seed);
}

// He uniform over fan_in = kIn, drawn in element order: what init() must give for either layer.
std::vector<float> he_draws(uint64_t seed) {
  Rng rng(seed);
  const float bound = std::sqrt(6.0f / static_cast<float>(kIn));
  std::vector<float> w(static_cast<size_t>(kOut * kIn));
  for (float& v : w) v = rng.uniform(-bound, bound);
  return w;
}

TEST(WeightPart, LinearAndOneByOneConvInitialiseAlike) {
  Linear lin(kIn, kOut);
  Conv2d conv(kIn, kOut, 1);
  lin.weights()->bias().fill(5.0f);
  conv.weights()->bias().fill(5.0f);
  Rng a(11), b(11);
  lin.weights()->init(a);
  conv.weights()->init(b);
  const std::vector<float> expected = he_draws(11);
  EXPECT_EQ(lin.weights()->weight().values(), expected);
  EXPECT_EQ(conv.weights()->weight().values(), expected);
  EXPECT_EQ(conv.weights()->weight().shape(), (Shape{kOut, kIn, 1, 1}));
  for (float v : lin.weights()->bias().values()) EXPECT_EQ(v, 0.0f);
  for (float v : conv.weights()->bias().values()) EXPECT_EQ(v, 0.0f);
}

TEST(WeightPart, ParamsNamesAndDecayAreTheSame) {
  Linear lin(kIn, kOut);
  Conv2d conv(kIn, kOut, 1);
  for (Layer* layer : {static_cast<Layer*>(&lin), static_cast<Layer*>(&conv)}) {
    const std::vector<Param> p = layer->params();
    ASSERT_EQ(p.size(), 2u) << layer->kind();
    EXPECT_EQ(p[0].name, "weight");
    EXPECT_TRUE(p[0].decay);
    EXPECT_EQ(p[0].value->numel(), kOut * kIn);
    EXPECT_EQ(p[1].name, "bias");
    EXPECT_FALSE(p[1].decay);
    EXPECT_EQ(p[1].value->shape(), (Shape{kOut}));
  }
  Linear lin_nb(kIn, kOut, false);
  Conv2d conv_nb(kIn, kOut, 1, 1, 0, false);
  EXPECT_EQ(lin_nb.params().size(), 1u);
  EXPECT_EQ(conv_nb.params().size(), 1u);
  EXPECT_TRUE(lin_nb.weights()->bias().empty());
}

TEST(WeightPart, DescribeEndsWithTheSameTail) {
  Linear lin(kIn, kOut, false, constraint(3));
  Conv2d conv(kIn, kOut, 1, 1, 0, false, constraint(3));
  EXPECT_EQ(lin.describe(), "linear 6 -> 4 (no bias) weight_bits 3 row ratio 2.000000");
  EXPECT_EQ(conv.describe(), "conv2d 6 -> 4 k1 s1 p0 (no bias) weight_bits 3 row ratio 2.000000");
  EXPECT_EQ(Linear(kIn, kOut).describe(), "linear 6 -> 4");
}

TEST(WeightPart, ConstraintKeptPathAndMacsAreTheSame) {
  Linear lin(kIn, kOut, true, constraint(3));
  Conv2d conv(kIn, kOut, 1, 1, 0, true, constraint(3));
  lin.weights()->set_kernels(KernelChoice::Kept);
  conv.weights()->set_kernels(KernelChoice::Kept);
  ASSERT_NE(lin.constraint(), nullptr);
  EXPECT_EQ(lin.constraint(), lin.weights()->constraint());
  EXPECT_EQ(lin.weights()->kept_unit(), KeptUnit::Row);
  EXPECT_EQ(conv.weights()->kept_unit(), KeptUnit::Row);
  // Ratio 2 of 4 rows: 2 rows of 6 kept, the "weight" parameter is the kept tensor [2, 1, 6].
  EXPECT_EQ(lin.params()[0].value->shape(), (Shape{2, 1, kIn}));
  EXPECT_EQ(conv.params()[0].value->shape(), (Shape{2, 1, kIn}));
  EXPECT_EQ(lin.constraint()->mask(), conv.constraint()->mask());
  EXPECT_EQ(lin.macs({kIn}), 12);
  EXPECT_EQ(conv.macs({kIn, 3, 5}), 12 * 15);  // per output pixel
  lin.weights()->set_kernels(KernelChoice::Dense);
  EXPECT_FALSE(lin.weights()->kept_path());
  EXPECT_EQ(lin.params()[0].value->shape(), (Shape{kOut, kIn}));
}

TEST(WeightPart, LinearAndOneByOneConvComputeTheSameProduct) {
  Linear lin(kIn, kOut);
  Conv2d conv(kIn, kOut, 1);
  Rng a(5), b(5);
  lin.weights()->init(a);
  conv.weights()->init(b);
  for (int64_t o = 0; o < kOut; ++o) lin.weights()->bias()[o] = conv.weights()->bias()[o] = 0.25f * float(o);
  const int64_t n = 3;
  Tensor x({n, kIn}), img({n, kIn, 1, 1});
  Rng r(9);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = img[i] = r.uniform(-1.0f, 1.0f);
  Context ctx;
  const Tensor y = lin.forward(x, ctx), z = conv.forward(img, ctx);
  const std::vector<float> w = he_draws(5);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t o = 0; o < kOut; ++o) {
      double ref = 0.25 * double(o);
      for (int64_t i = 0; i < kIn; ++i) ref += double(w[size_t(o * kIn + i)]) * double(x[s * kIn + i]);
      EXPECT_NEAR(y[s * kOut + o], ref, 1e-5);
      EXPECT_NEAR(z[s * kOut + o], ref, 1e-5);
    }
}

TEST(WeightPart, OnlyWeightLayersHaveOne) {
  Sequential net;
  net.emplace<Conv2d>(1, 2, 3);
  net.emplace<BatchNorm>(2);
  net.emplace<Activation>(ActFn::Relu);
  net.emplace<MaxPool2d>(2, 2);
  net.emplace<Flatten>();
  net.emplace<Linear>(2, 3);
  for (size_t i = 0; i < net.size(); ++i) {
    const bool weight_layer = i == 0 || i == 5;
    EXPECT_EQ(net.layer(i).weights() != nullptr, weight_layer) << i;
    EXPECT_EQ(net.layer(i).constraint(), nullptr) << i;  // float weights: no constraint
  }
  // Sequential::init seeds each weight layer with mix_seed(seed, index).
  net.init(21);
  Rng r0(mix_seed(21, 0)), r5(mix_seed(21, 5));
  const float b0 = std::sqrt(6.0f / 9.0f), b5 = std::sqrt(6.0f / 2.0f);
  for (float v : net.layer(0).weights()->weight().values()) EXPECT_EQ(v, r0.uniform(-b0, b0));
  for (float v : net.layer(5).weights()->weight().values()) EXPECT_EQ(v, r5.uniform(-b5, b5));
}

TEST(WeightPart, ConstraintOfTheWrongSizeNamesTheLayer) {
  testing_support::expect_input_error([] { Linear(kIn + 1, kOut, true, constraint(1)); },
                                      {"linear", "constraint sized 4x6 for a 4x7 weight matrix"});
  testing_support::expect_input_error([] { Conv2d(kIn, kOut, 3, 1, 0, true, constraint(1)); },
                                      {"conv2d", "constraint sized 4x6 for a 4x54 weight matrix"});
}

TEST(KeptPath, PackedIsReadAsKept) {
  EXPECT_EQ(parse_name(kKernelChoiceNames, "kept", "k"), KernelChoice::Kept);
  EXPECT_EQ(parse_name(kKernelChoiceNames, "packed", "k"), KernelChoice::Kept);
  EXPECT_STREQ(to_string(KernelChoice::Kept), "kept");
  EXPECT_THROW(parse_name(kKernelChoiceNames, "compact", "k"), InputError);
  // The tiny MLP's first linear layer is block 8x8 at ratio 2: dense only when asked.
  for (const char* value : {"packed", "kept", "dense"}) {
    const ExperimentConfig c =
        parse_config(testing_support::tiny_mlp_yaml(), "tiny.yaml", {std::string("train.kernels=") + value});
    const bool dense = std::string(value) == "dense";
    EXPECT_EQ(c.kernels, dense ? KernelChoice::Dense : KernelChoice::Kept) << value;
    EXPECT_NE(to_yaml(c).find(std::string("kernels: ") + (dense ? "dense" : "kept")), std::string::npos) << value;
    Sequential net = build_model(c, dataset_input(c.dataset));
    EXPECT_EQ(net.layer(1).weights()->kept_unit(), dense ? KeptUnit::None : KeptUnit::Block) << value;
  }
}

}  // namespace
}  // namespace bitblock
