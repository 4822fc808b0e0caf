// Training on a GPU against the CPU: a few steps of networks covering every shipped layer type
// (linear dense and on kept blocks, rows, columns and elements; conv; batch norm on [N, C] and
// [N, C, H, W]; every activation; max-pool; dropout; flatten; both losses, Adam and SGD) end
// with the same parameters, buffers and optimizer state within stated tolerances; checkpoints
// move between devices (CPU -> CUDA -> CPU ends where the CPU alone ends); two models trained at
// once on two threads, each in its own execution context (on a GPU its own stream), end bit for
// bit where each ends alone (on the CPU on every machine); and, on any machine, the
// device-independent checkpoint path: state collected from a network and restored into a fresh
// one round-trips bit for bit, and a host copy of a network is exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <ostream>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bitblock/framework/device.hpp"
#include "bitblock/framework/trainer.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

using testing_support::TempDir;

// Float sums run in other orders on the GPU (GEMMs, batch-norm and loss reductions) and exp/log
// round differently, so parameters after a few Adam steps differ by a few ulps of their step
// sizes: 2e-3 relative to max(1, |value|) bounds them; a binary weight whose latent value sits
// at 0 could take the other sign, which the tiny networks' few steps do not reach.
constexpr double kTolerance = 2e-3;

struct NetCase {
  const char* name;
  std::vector<std::string> overrides;
};
// ctest lists a case by its name, not its bytes.
void PrintTo(const NetCase& c, std::ostream* os) { *os << c.name; }

std::vector<NetCase> net_cases() {
  const std::string cnn =
      "model.layers=[{type: conv, out: 6, kernel: 3, padding: 1}, {type: batchnorm}, {type: maxpool, kernel: 2}, "
      "{type: act, fn: sign}, {type: conv, out: 8, kernel: 3, stride: 2}, {type: batchnorm}, "
      "{type: act, fn: hardtanh, bits: 3}, {type: flatten}, {type: dropout, p: 0.2}, {type: linear, out: 10}, "
      "{type: batchnorm}]";
  return {
      {"mlp_kept_blocks", {}},
      {"mlp_kept_rows", {"constraints.default={weight_bits: 3, structure: row, ratio: 4}"}},
      {"mlp_kept_columns", {"constraints.default={weight_bits: 3, structure: column, ratio: 4}"}},
      {"mlp_kept_elements", {"constraints.default={weight_bits: 3, structure: element, ratio: 4}"}},
      {"mlp_dense_binary_hinge_sgd",
       {"constraints.default={weight_bits: 1, scale: per_layer, structure: none, ratio: 1}",
        "model.layers[3]={type: act, fn: hardtanh}", "train.loss=squared_hinge",
        "train.optimizer={type: sgd, lr: 0.05, momentum: 0.9, nesterov: true}"}},
      {"mlp_float_identity", {"constraints.default={weight_bits: 32}", "model.layers[3]={type: act, fn: identity}"}},
      {"cnn_augmented",
       {cnn, "constraints.default={weight_bits: 2, structure: none, ratio: 1}", "constraints.first={weight_bits: 8}",
        "data.augment={crop_padding: 2, hflip: true}", "data.normalize={mean: 0.5, std: 0.5}"}},
  };
}

class DeviceTraining : public ::testing::TestWithParam<NetCase> {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_unique<TempDir>("device_data");
    testing_support::write_tiny_mnist(data_->path);
  }
  static void TearDownTestSuite() { data_.reset(); }

  static ExperimentConfig config(const std::vector<std::string>& overrides) {
    return parse_config(testing_support::tiny_mlp_yaml(), "tiny.yaml", overrides);
  }

  static TrainOutcome run(const ExperimentConfig& c, const std::string& out, Device device, int64_t stop_after = -1,
                          bool resume = false) {
    TrainOptions o;
    o.data_dir = data_->path;
    o.out_dir = out;
    o.quiet = true;
    o.threads = 1;
    o.device = to_string(device);
    o.start = resume ? RunStart::Resume : RunStart::New;
    o.stop_after_batches = stop_after;
    return train(c, o);
  }

  static std::unique_ptr<TempDir> data_;
};
std::unique_ptr<TempDir> DeviceTraining::data_;

// Every tensor and mask of two checkpoints, the tensors within kTolerance (0: bit for bit).
void expect_close_state(const std::string& path_a, const std::string& path_b, double tol) {
  const Checkpoint a = load_checkpoint(path_a), b = load_checkpoint(path_b);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const Tensor &x = a.tensors[i].second, &y = b.tensors[i].second;
    ASSERT_EQ(a.tensors[i].first, b.tensors[i].first);
    ASSERT_EQ(x.shape(), y.shape()) << a.tensors[i].first;
    double worst = 0.0;
    for (int64_t k = 0; k < x.numel(); ++k)
      worst = std::max(worst, std::fabs(double(x[k]) - y[k]) / std::max(1.0, std::fabs(double(x[k]))));
    EXPECT_LE(worst, tol) << a.tensors[i].first;
  }
  ASSERT_EQ(a.masks.size(), b.masks.size());
  for (size_t i = 0; i < a.masks.size(); ++i) EXPECT_EQ(a.masks[i].second, b.masks[i].second) << a.masks[i].first;
  EXPECT_EQ(a.position.optimizer_step, b.position.optimizer_step);
  EXPECT_NEAR(a.position.loss_sum, b.position.loss_sum, tol * std::max(1.0, std::fabs(a.position.loss_sum)));
}

// Seven steps (the first runs directly, the second is captured, the rest replay the capture).
TEST_P(DeviceTraining, CudaStepsMatchTheCpu) {
  if (!cuda_usable()) GTEST_SKIP() << "no usable CUDA GPU";
  const ExperimentConfig cfg = config(GetParam().overrides);
  TempDir cpu("cpu"), gpu("gpu");
  ASSERT_EQ(run(cfg, cpu.path, Device::Cpu, 7).status, TrainStatus::Interrupted);
  ASSERT_EQ(run(cfg, gpu.path, Device::Cuda, 7).status, TrainStatus::Interrupted);
  expect_close_state(cpu / "checkpoint.bbc", gpu / "checkpoint.bbc", kTolerance);
}

// CPU -> CUDA -> CPU through checkpoints ends where the CPU alone ends (the middle part on the GPU).
TEST_P(DeviceTraining, CheckpointsMoveBetweenDevices) {
  if (!cuda_usable()) GTEST_SKIP() << "no usable CUDA GPU";
  const ExperimentConfig cfg = config(GetParam().overrides);
  TempDir alone("alone"), moved("moved");
  ASSERT_EQ(run(cfg, alone.path, Device::Cpu).status, TrainStatus::Finished);
  ASSERT_EQ(run(cfg, moved.path, Device::Cpu, 3).status, TrainStatus::Interrupted);
  ASSERT_EQ(run(cfg, moved.path, Device::Cuda, 5, true).status, TrainStatus::Interrupted);
  const TrainOutcome end = run(cfg, moved.path, Device::Cpu, -1, true);
  ASSERT_EQ(end.status, TrainStatus::Finished);
  expect_close_state(alone / "checkpoint.bbc", moved / "checkpoint.bbc", kTolerance);
  EXPECT_TRUE(end.exported.written || !end.exported.reason.empty());
}

// Two models trained at once on two threads (this case and a partner of another shape) end bit
// for bit where each ends trained alone: each model's work runs in its own execution context, on
// a GPU on its own stream, and neither touches the other's memory or stream. On the CPU on every
// machine; on a GPU with the kept path's products pinned to one implementation (their timed
// choice may differ from run to run, which changes the last bits).
TEST_P(DeviceTraining, TwoModelsAtOnceMatchEachAlone) {
  const std::vector<NetCase> cases = net_cases();
  const NetCase& partner = std::string(GetParam().name) == cases.back().name ? cases.front() : cases.back();
  const ExperimentConfig a = config(GetParam().overrides), b = config(partner.overrides);
  std::vector<Device> devices{Device::Cpu};
  if (cuda_usable()) devices.push_back(Device::Cuda);
  for (Device device : devices) {
    SCOPED_TRACE(to_string(device));
    if (device == Device::Cuda) setenv("BITBLOCK_GPU_KERNELS", "dense", 1);
    TempDir a_alone("a_alone"), b_alone("b_alone"), a_both("a_both"), b_both("b_both");
    ASSERT_EQ(run(a, a_alone.path, device, 7).status, TrainStatus::Interrupted);
    ASSERT_EQ(run(b, b_alone.path, device, 7).status, TrainStatus::Interrupted);
    // Each run on its own thread; an exception is kept as its text (a thread may not throw).
    TrainStatus a_status = TrainStatus::Finished, b_status = TrainStatus::Finished;
    std::string a_error, b_error;
    auto start = [&](const ExperimentConfig& c, const std::string& out, TrainStatus& status, std::string& error) {
      return std::thread([&c, out, device, &status, &error] {
        try {
          status = run(c, out, device, 7).status;
        } catch (const std::exception& e) {
          error = e.what();
        }
      });
    };
    std::thread first = start(a, a_both.path, a_status, a_error);
    std::thread second = start(b, b_both.path, b_status, b_error);
    first.join();
    second.join();
    if (device == Device::Cuda) unsetenv("BITBLOCK_GPU_KERNELS");
    ASSERT_EQ(a_error, "");
    ASSERT_EQ(b_error, "");
    ASSERT_EQ(a_status, TrainStatus::Interrupted);
    ASSERT_EQ(b_status, TrainStatus::Interrupted);
    expect_close_state(a_alone / "checkpoint.bbc", a_both / "checkpoint.bbc", 0.0);
    expect_close_state(b_alone / "checkpoint.bbc", b_both / "checkpoint.bbc", 0.0);
  }
}

// The CPU half, on every machine: the checkpoint path is device independent (host copies out,
// copies onto the model's device in), so state collected and restored round-trips exactly.
TEST_P(DeviceTraining, CollectedStateRoundTripsExactly) {
  const ExperimentConfig cfg = config(GetParam().overrides);
  TempDir out("state");
  ASSERT_EQ(run(cfg, out.path, Device::Cpu, 4).status, TrainStatus::Interrupted);
  RestoredRun restored = restore_run(out / "checkpoint.bbc", data_->path, Device::Cpu);
  Checkpoint again;
  collect_state(restored.net, nullptr, again);
  again.config_yaml = restored.checkpoint.config_yaml;
  again.position = restored.checkpoint.position;
  save_checkpoint(again, out / "again.bbc");
  const Checkpoint original = load_checkpoint(out / "checkpoint.bbc");
  const Checkpoint copy = load_checkpoint(out / "again.bbc");
  for (const auto& entry : copy.tensors) {
    const std::string& name = entry.first;
    const auto it = std::find_if(original.tensors.begin(), original.tensors.end(),
                                 [&](const auto& e) { return e.first == name; });
    ASSERT_NE(it, original.tensors.end()) << name;
    EXPECT_EQ(it->second.values(), entry.second.values()) << name;
  }
  const ModelInput input{{restored.data.test.channels, restored.data.test.height, restored.data.test.width},
                         restored.data.test.num_classes};
  Sequential host = host_copy(restored.net, restored.config, input);
  const std::vector<Param> a = restored.net.params(), b = host.params();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].value->values(), b[i].value->values()) << a[i].name;
}

INSTANTIATE_TEST_SUITE_P(Networks, DeviceTraining, ::testing::ValuesIn(net_cases()),
                         [](const ::testing::TestParamInfo<NetCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace bitblock
