// The dynamic shared-memory bookkeeping of the CUDA launches (launch_limits.hpp) against a fake
// device that records every limit set and refuses a launch above the kernel's current limit, as
// the driver does (cudaErrorInvalidValue). The attribute belongs to the kernel: a layer of the
// same kernel variant needing less shared memory must not take it away from a larger one.
#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "bitblock/kernels/launch_limits.hpp"

namespace bitblock::kernels {
namespace {

constexpr size_t kDefault = 48 * 1024;  // limit of a kernel whose attribute was never set

struct FakeDevice {
  std::map<std::pair<const void*, int>, size_t> limit;  // current attribute per (kernel, device)
  std::vector<size_t> sets;                              // every value set, in order
  int occupancy_calls = 0;

  KernelLimitOps ops() {
    return {[this](const void* k, int device, size_t bytes) {
              limit[{k, device}] = bytes;
              sets.push_back(bytes);
            },
            [this](const void*, int, int, size_t bytes) {
              ++occupancy_calls;
              return static_cast<int>(228 * 1024 / (bytes + 1024));
            }};
  }
  // What the driver checks at launch time.
  bool launch_allowed(const void* k, int device, size_t bytes) const {
    const auto it = limit.find({k, device});
    return bytes <= (it == limit.end() ? kDefault : it->second);
  }
};

int kernel_a, kernel_b;  // stand-ins for two kernel variants' addresses

TEST(LaunchLimits, ShrinkThenGrowKeepsEveryCachedLaunchAllowed) {
  FakeDevice dev;
  KernelLimits limits(dev.ops());
  // Layouts 784 -> 256 -> 784 inputs of one kernel variant: 100 KB, 40 KB, 100 KB again (cached).
  const size_t sequence[] = {100 * 1024, 40 * 1024, 100 * 1024, 40 * 1024, 160 * 1024, 100 * 1024};
  for (size_t bytes : sequence) {
    limits.prepare(&kernel_a, 0, 256, bytes);
    EXPECT_TRUE(dev.launch_allowed(&kernel_a, 0, bytes)) << bytes << " bytes refused";
    EXPECT_GE(limits.limit(&kernel_a, 0), bytes);
  }
  // Only raised: 100 KB, then 160 KB.
  EXPECT_EQ(dev.sets, (std::vector<size_t>{100 * 1024, 160 * 1024}));
  // One occupancy query per (kernel, device, threads, bytes).
  EXPECT_EQ(dev.occupancy_calls, 3);
}

TEST(LaunchLimits, KernelsAndDevicesKeepTheirOwnLimits) {
  FakeDevice dev;
  KernelLimits limits(dev.ops());
  limits.prepare(&kernel_a, 0, 256, 200 * 1024);
  limits.prepare(&kernel_b, 0, 256, 60 * 1024);
  limits.prepare(&kernel_a, 1, 512, 70 * 1024);
  EXPECT_EQ(limits.limit(&kernel_a, 0), 200u * 1024);
  EXPECT_EQ(limits.limit(&kernel_b, 0), 60u * 1024);
  EXPECT_EQ(limits.limit(&kernel_a, 1), 70u * 1024);
  EXPECT_EQ(limits.limit(&kernel_b, 1), 0u);
  EXPECT_TRUE(dev.launch_allowed(&kernel_a, 0, 200 * 1024));
  EXPECT_FALSE(dev.launch_allowed(&kernel_a, 1, 200 * 1024));  // device 1 was never raised that far
}

TEST(LaunchLimits, ResidentCtasAreAtLeastOne) {
  FakeDevice dev;
  KernelLimits limits(dev.ops());
  EXPECT_EQ(limits.prepare(&kernel_a, 0, 256, 100 * 1024), 2);
  EXPECT_EQ(limits.prepare(&kernel_a, 0, 256, 300 * 1024), 1);  // the fake answers 0
}

}  // namespace
}  // namespace bitblock::kernels
