// Execution contexts on the CPU: a model makes its own when it is built and holds every parameter
// in it; a layer's outputs are made in its input's context; the model moves an input from
// elsewhere into its context (same values); two models have two contexts; host memory serves
// every CPU context, so ops may mix them. The GPU half (two streams) is in tests/device/.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "bitblock/framework/exec_context.hpp"
#include "bitblock/framework/layers.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/ops.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

Sequential tiny_model() {
  const ExperimentConfig c = parse_config(testing_support::tiny_mlp_yaml(), "tiny.yaml", {});
  return build_model(c, dataset_input(c.dataset), Device::Cpu);
}

Tensor batch(const ExecContextPtr& ctx) {
  Tensor x({3, 1, 28, 28});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i % 17) / 17.0f - 0.5f;
  return x.to(ctx);
}

TEST(ExecContext, AModelHoldsItsOwnContextAndEveryParameterInIt) {
  Sequential a = tiny_model(), b = tiny_model();
  ASSERT_NE(a.context(), nullptr);
  EXPECT_EQ(a.context()->device(), Device::Cpu);
  EXPECT_EQ(a.context()->stream(), nullptr);
  EXPECT_NE(a.context(), b.context()) << "two models, two contexts";
  EXPECT_NE(a.context(), host_context());
  for (const Param& p : a.params()) {
    EXPECT_EQ(p.value->context(), a.context()) << p.name;
    EXPECT_EQ(p.grad->context(), a.context()) << p.name;
  }
  for (const Buffer& buf : a.buffers()) EXPECT_EQ(buf.value->context(), a.context()) << buf.name;
}

TEST(ExecContext, OutputsAreMadeInTheirInputsContext) {
  Linear l(6, 4, true, nullptr);
  const ExecContextPtr c = make_context(Device::Cpu);
  l.to(c);
  Tensor x({2, 6}, c);
  Context pass;
  const Tensor y = l.forward(x, pass);
  EXPECT_EQ(y.context(), c);
  EXPECT_EQ(l.backward(Tensor({2, 4}, c)).context(), c);
  // An op's output tensor takes the context it is reset into, keeping host memory.
  Tensor out({4}, host_context());
  const float* before = out.data();
  out.reset({4}, c);
  EXPECT_EQ(out.context(), c);
  EXPECT_EQ(out.data(), before);
}

TEST(ExecContext, AModelMovesAnInputFromElsewhereIntoItsContext) {
  Sequential net = tiny_model();
  Context pass;
  pass.training = false;
  const Tensor from_host = batch(host_context());
  const Tensor in_model = batch(net.context());
  const Tensor y_host = net.forward(from_host, pass);
  const Tensor y_model = net.forward(in_model, pass);
  EXPECT_EQ(from_host.context(), host_context()) << "the caller's tensor stays where it was";
  EXPECT_EQ(y_host.context(), net.context());
  EXPECT_EQ(y_model.context(), net.context());
  EXPECT_EQ(y_host.values(), y_model.values());
}

TEST(ExecContext, CpuContextsMixAndMovesKeepTheValues) {
  const ExecContextPtr a = make_context(Device::Cpu), b = make_context(Device::Cpu);
  EXPECT_NE(a, b);
  EXPECT_TRUE(compatible(*a, *b));
  const Tensor x({3}, std::vector<float>{1.0f, 2.0f, 3.0f});
  const Tensor in_a = x.to(a);
  EXPECT_EQ(in_a.context(), a);
  EXPECT_EQ(in_a.values(), x.values());
  Tensor in_b({3}, b);
  ops::axpy(2.0f, in_a, in_b);  // no stream on the CPU: contexts there may share an op
  EXPECT_EQ(in_b.values(), (std::vector<float>{2.0f, 4.0f, 6.0f}));
  EXPECT_EQ(in_b.context(), b);
  // Copies stay in the source's context, and a moved-from array stays usable in its own.
  Array<int32_t> arr(4, a);
  const Array<int32_t> copy = arr;
  EXPECT_EQ(copy.context(), a);
  const Array<int32_t> moved = std::move(arr);
  EXPECT_EQ(moved.context(), a);
  EXPECT_EQ(arr.context(), a);  // NOLINT(bugprone-use-after-move): what a move leaves is the point
  EXPECT_EQ(arr.size(), 0);
}

}  // namespace
}  // namespace bitblock
