// Recycled host buffers (array.hpp: detail::host_floats): a training step whose outputs land in
// recycled buffers full of garbage gives the bits of one whose buffers held zeros, and tensors
// that promise zeros get zeros whatever buffer they recycle.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "bitblock/framework/layers.hpp"
#include "bitblock/framework/loss.hpp"
#include "bitblock/framework/sequential.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Leaves `copies` dropped buffers of each shape's size, filled with v, for the next outputs.
void leave_buffers(const std::vector<Shape>& shapes, float v, int copies = 4) {
  std::vector<Tensor> held;
  for (const Shape& s : shapes)
    for (int i = 0; i < copies; ++i) {
      held.push_back(Tensor::for_output(s, host_context()));
      held.back().fill(v);
    }
}

TEST(TensorReuse, ZerosStayZerosInARecycledBuffer) {
  const Shape shape{64, 1024};
  leave_buffers({shape}, kNaN);
  const Tensor t(shape, host_context());
  for (int64_t i = 0; i < t.numel(); ++i) ASSERT_EQ(t[i], 0.0f) << i;
  leave_buffers({shape}, kNaN);
  const Array<float> a(shape_numel(shape));
  for (float v : a.host()) ASSERT_EQ(v, 0.0f);
}

// for_output's point: the step's outputs reuse the last step's buffers without clearing them.
TEST(TensorReuse, ForOutputTakesADroppedBufferAsItIs) {
  const Shape shape{32, 4096};
  leave_buffers({shape}, 7.0f, 1);
  const Tensor t = Tensor::for_output(shape, host_context());
  EXPECT_EQ(t[0], 7.0f);
  EXPECT_EQ(t[t.numel() - 1], 7.0f);
}

struct Step {
  std::vector<float> logits, dx;
  std::vector<std::vector<float>> grads;
};

// One forward and backward of a small CNN (batch 64: the conv, batch-norm, activation and their
// gradients are large enough to be recycled), after leaving buffers of v of every size it uses.
Step step_after_buffers_of(float v) {
  Sequential m;
  m.emplace<Conv2d>(3, 16, 3, 1, 1);
  m.emplace<BatchNorm>(16);
  m.emplace<Activation>(ActFn::Relu, 4, 2.0f);
  m.emplace<MaxPool2d>(2);
  m.emplace<Flatten>();
  m.emplace<Dropout>(0.3f);
  m.emplace<Linear>(16 * 8 * 8, 300);
  m.emplace<BatchNorm>(300);
  m.emplace<Linear>(300, 10);
  m.init(21);
  const int64_t batch = 64;
  std::vector<Shape> shapes;
  for (Shape s : m.shapes({3, 16, 16})) {
    s.insert(s.begin(), batch);
    shapes.push_back(s);
  }
  leave_buffers(shapes, v);
  Rng data(22);
  const Tensor x = testing::random_tensor({batch, 3, 16, 16}, data);
  std::vector<int32_t> labels(batch);
  for (auto& l : labels) l = static_cast<int32_t>(data.below(10));
  RandomStream drop(Rng(23));
  Context ctx;
  ctx.rng = &drop;
  m.zero_grad();
  const Tensor logits = m.forward(x, ctx);
  Tensor dlogits;
  softmax_cross_entropy(logits, labels.data(), &dlogits);
  const Tensor dx = m.backward(dlogits);
  Step r{logits.values(), dx.values(), {}};
  for (const Param& p : m.params()) r.grads.push_back(p.grad->values());
  return r;
}

TEST(TensorReuse, RecycledGarbageGivesTheStepOfZeroedBuffers) {
  const Step zeroed = step_after_buffers_of(0.0f);
  const Step garbage = step_after_buffers_of(kNaN);
  EXPECT_EQ(garbage.logits, zeroed.logits);
  EXPECT_EQ(garbage.dx, zeroed.dx);
  ASSERT_EQ(garbage.grads.size(), zeroed.grads.size());
  for (size_t i = 0; i < zeroed.grads.size(); ++i) EXPECT_EQ(garbage.grads[i], zeroed.grads[i]) << "param " << i;
}

// Sequential hands each layer its input with forward_taking (the layer keeps that tensor instead
// of a copy). A weight layer that takes its input gives the output and the gradients of one that
// copies it (backward reads the taken tensor).
template <typename L>
void expect_taking_matches_copying(L& copying, L& taking, const Shape& input) {
  Rng data(31);
  const Tensor x = testing::random_tensor(input, data);
  Context ctx;
  const Tensor y = copying.forward(x, ctx);
  Tensor given = x.to(host_context());
  const Tensor y_taken = taking.forward_taking(std::move(given), ctx);
  EXPECT_TRUE(given.empty());
  EXPECT_EQ(y_taken.values(), y.values());
  const Tensor dy = testing::random_tensor(y.shape(), data);
  EXPECT_EQ(taking.backward(dy).values(), copying.backward(dy).values());
  for (size_t i = 0; i < copying.params().size(); ++i)
    EXPECT_EQ(taking.params()[i].grad->values(), copying.params()[i].grad->values()) << "param " << i;
}

TEST(TensorReuse, TakingWeightLayersGiveTheBitsOfCopyingOnes) {
  Conv2d conv_a(3, 8, 3, 1, 1), conv_b(3, 8, 3, 1, 1);
  Linear lin_a(48, 20), lin_b(48, 20);
  for (auto [a, b] : {std::pair<Layer*, Layer*>{&conv_a, &conv_b}, {&lin_a, &lin_b}}) {
    Rng ra(5), rb(5);
    a->weights()->init(ra);
    b->weights()->init(rb);
  }
  expect_taking_matches_copying(conv_a, conv_b, {4, 3, 9, 7});
  expect_taking_matches_copying(lin_a, lin_b, {6, 3, 4, 4});
}

}  // namespace
}  // namespace bitblock
