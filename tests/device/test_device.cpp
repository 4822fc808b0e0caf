// Devices: parsing and resolving --device / train.device (auto falls back to the CPU with a note,
// cuda without a usable GPU is an InputError), host semantics of Tensor and Array (copies,
// to(), reset, partial writes), and, on a GPU, the same through device memory (skipped without).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/array.hpp"
#include "bitblock/framework/device.hpp"
#include "bitblock/framework/ops.hpp"
#include "bitblock/framework/tensor.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

using testing_support::expect_input_error;

TEST(Device, ParseNamesTheKeyOnBadValues) {
  EXPECT_EQ(parse_device("auto", "k"), DeviceRequest::Auto);
  EXPECT_EQ(parse_device("cpu", "k"), DeviceRequest::Cpu);
  EXPECT_EQ(parse_device("cuda", "k"), DeviceRequest::Cuda);
  expect_input_error([] { parse_device("gpu", "run.yaml: key train.device"); }, {"train.device", "'gpu'", "auto, cpu, cuda"});
  EXPECT_STREQ(to_string(Device::Cuda), "cuda");
  EXPECT_STREQ(to_string(DeviceRequest::Auto), "auto");
}

TEST(Device, ResolveFallsBackOrFailsWithoutAGpu) {
  std::string note = "stale";
  EXPECT_EQ(resolve_device(DeviceRequest::Cpu, "--device", &note), Device::Cpu);
  EXPECT_TRUE(note.empty());
  std::string why;
  if (cuda_usable(&why)) {
    EXPECT_EQ(resolve_device(DeviceRequest::Auto, "--device", &note), Device::Cuda);
    EXPECT_TRUE(note.empty());
    EXPECT_EQ(resolve_device(DeviceRequest::Cuda, "--device", &note), Device::Cuda);
    return;
  }
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(resolve_device(DeviceRequest::Auto, "--device", &note), Device::Cpu);
  EXPECT_NE(note.find("no usable CUDA GPU"), std::string::npos) << note;
  EXPECT_NE(note.find("training on the CPU"), std::string::npos) << note;
  expect_input_error([] { resolve_device(DeviceRequest::Cuda, "--device", nullptr); },
                     {"--device", "no usable CUDA GPU", why});
  EXPECT_EQ(describe(Device::Cpu), "CPU");
}

// What every device must do with the same values; run on the host here and on a GPU below.
void check_round_trips(Device d) {
  const ExecContextPtr c = make_context(d);
  const Tensor host({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor on = host.to(c);
  EXPECT_EQ(on.context(), c);
  EXPECT_EQ(on.device(), d);
  EXPECT_EQ(on.shape(), host.shape());
  Tensor copy = on;  // deep copy on the same device
  Tensor other({6}, c);
  other.copy_from(copy);  // any devices, same element count
  EXPECT_EQ(other.to(host_context()).values(), host.values());
  other.fill(2.5f);
  EXPECT_EQ(other.to(host_context()).values(), std::vector<float>(6, 2.5f));
  EXPECT_EQ(copy.to(host_context()).values(), host.values()) << "the copy is independent";
  Tensor reshaped = on.reshaped({3, 2});
  EXPECT_EQ(reshaped.shape(), (Shape{3, 2}));
  EXPECT_EQ(reshaped.to(host_context()).values(), host.values());

  Array<int64_t> a(5, c);
  EXPECT_EQ(a.to_vector(), std::vector<int64_t>(5, 0));
  const int64_t prefix[2] = {7, 9};
  a.write(prefix, 2);
  EXPECT_EQ(a.to_vector(), (std::vector<int64_t>{7, 9, 0, 0, 0}));
  a.assign({1, 2, 3, 4, 5});
  EXPECT_EQ(a.to(host_context()).host(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  const std::vector<int64_t> six(6, 1);
  EXPECT_THROW(a.write(six.data(), 6), std::invalid_argument);
  Tensor r;
  r.reset({4}, c);
  EXPECT_EQ(r.device(), d);
  EXPECT_EQ(r.context(), c);
  EXPECT_EQ(r.numel(), 4);
  RandomStream stream(Rng(11), c);
  const Rng back = stream.rng();
  EXPECT_EQ(back.state(), Rng(11).state());
}

TEST(Device, HostTensorsAndArrays) {
  check_round_trips(Device::Cpu);
  Tensor t({2});
  EXPECT_NO_THROW(t.values());
  EXPECT_EQ(&on_host(t, t), &t);  // already there: no copy
}

TEST(Device, CudaTensorsAndArrays) {
  if (!cuda_usable()) GTEST_SKIP() << "no usable CUDA GPU";
  check_round_trips(Device::Cuda);
  const ExecContextPtr gpu = make_context(Device::Cuda);
  const Tensor on({3}, gpu);
  EXPECT_THROW(on.values(), std::logic_error) << "device values are not host memory";
  Tensor copy;
  EXPECT_EQ(on_host(on, copy).device(), Device::Cpu);
  const Tensor host({2}, {1.0f, 2.0f});
  Tensor mixed({2}, gpu);
  EXPECT_THROW(ops::axpy(1.0f, host, mixed), std::logic_error) << "operands on two devices";
}

// Two contexts on one GPU: two streams; an op never mixes them; values move between them whole.
TEST(Device, CudaContextsOwnTheirStreams) {
  if (!cuda_usable()) GTEST_SKIP() << "no usable CUDA GPU";
  const ExecContextPtr a = make_context(Device::Cuda), b = make_context(Device::Cuda);
  ASSERT_NE(a->stream(), nullptr);
  ASSERT_NE(b->stream(), nullptr);
  EXPECT_NE(a->stream(), b->stream());
  const Tensor host({4}, {1.0f, 2.0f, 3.0f, 4.0f});
  const Tensor in_a = host.to(a);
  Tensor in_b({4}, b);
  EXPECT_THROW(ops::axpy(1.0f, in_a, in_b), std::logic_error) << "operands on two streams";
  const Tensor moved = in_a.to(b);
  EXPECT_EQ(moved.context(), b);
  ops::axpy(1.0f, moved, in_b);
  EXPECT_EQ(in_b.to(host_context()).values(), host.values());
  in_b.copy_from(in_a);
  EXPECT_EQ(in_b.to(host_context()).values(), host.values());
}

}  // namespace
}  // namespace bitblock
