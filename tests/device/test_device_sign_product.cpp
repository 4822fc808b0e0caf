// The binary GEMM behind the compute seam on a GPU: a 1-bit Linear and a zero-padded 1-bit
// Conv2d fed by signs give the CPU's outputs exactly (both are scale x an exact integer sum).
// Skipped without a usable GPU.
#include <gtest/gtest.h>

#include <memory>

#include "bitblock/framework/device.hpp"
#include "bitblock/framework/layers.hpp"

namespace bitblock {
namespace {

ConstraintSpec binary_dense() {
  ConstraintSpec s;
  s.weight_bits = 1;
  return s;
}

Tensor signs(const Shape& shape, uint64_t seed) {
  Tensor t(shape);
  Rng rng(seed);
  for (float& v : t.values()) v = rng.below(2) ? 1.0f : -1.0f;
  return t;
}

template <typename MakeLayer>
void expect_cuda_equals_cpu(MakeLayer make, const Tensor& x) {
  auto cpu = make();
  auto gpu = make();
  const ExecContextPtr gpu_context = make_context(Device::Cuda);
  gpu->to(gpu_context);
  Context ctx;
  const Tensor want = cpu->forward(x, ctx);
  Tensor got_host;
  const Tensor got = gpu->forward(x.to(gpu_context), ctx);
  EXPECT_TRUE(cpu->weights()->sign_product());
  EXPECT_TRUE(gpu->weights()->sign_product());
  const Tensor& got_cpu = on_host(got, got_host);
  ASSERT_EQ(got_cpu.shape(), want.shape());
  for (int64_t e = 0; e < want.numel(); ++e) ASSERT_EQ(got_cpu[e], want[e]) << "at " << e;
}

TEST(DeviceSignProduct, CudaBinaryGemmEqualsTheCpu) {
  if (!cuda_usable()) GTEST_SKIP() << "no usable CUDA GPU";
  expect_cuda_equals_cpu(
      [] {
        auto l = std::make_unique<Linear>(130, 40, true, std::make_unique<WeightConstraint>(binary_dense(), 40, 130, 3));
        Rng rng(1);
        l->weights()->init(rng);
        l->weights()->set_sign_input(true);
        return l;
      },
      signs({7, 130}, 2));
  expect_cuda_equals_cpu(
      [] {
        auto c = std::make_unique<Conv2d>(6, 10, 3, 1, 1, true, std::make_unique<WeightConstraint>(binary_dense(), 10, 54, 4));
        Rng rng(2);
        c->weights()->init(rng);
        c->weights()->set_sign_input(true);
        return c;
      },
      signs({3, 6, 9, 8}, 5));
}

}  // namespace
}  // namespace bitblock
