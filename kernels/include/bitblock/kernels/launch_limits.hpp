#pragma once
// Dynamic shared-memory limits of CUDA kernels, kept as plain host bookkeeping so that CPU tests
// can drive it with a fake device (the CUDA side is common/cuda_launch.cpp).
//
// cudaFuncAttributeMaxDynamicSharedMemorySize belongs to a kernel on a device, not to a launch
// configuration: setting it for a smaller launch would take it away from an earlier, larger launch
// of the same kernel. So the limit is only ever raised, per (kernel, device), to the largest size
// asked for so far; the occupancy answer is cached per (kernel, device, threads, bytes), since
// both calls cost microseconds of host time that would show in every launch of a small product.
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

namespace bitblock::kernels {

struct KernelLimitOps {
  // Sets the kernel's dynamic shared-memory limit on `device` to `bytes`.
  std::function<void(const void* kernel, int device, size_t bytes)> set_limit;
  // CTAs of the kernel resident on one multiprocessor of `device` at this block size and smem.
  std::function<int(const void* kernel, int device, int threads, size_t bytes)> occupancy;
};

class KernelLimits {
 public:
  explicit KernelLimits(KernelLimitOps ops) : ops_(std::move(ops)) {}

  // Makes sure a launch of `kernel` on `device` with `bytes` of dynamic shared memory is allowed
  // (raising the limit if needed) and returns its resident CTAs per multiprocessor, at least 1.
  int prepare(const void* kernel, int device, int threads, size_t bytes);

  // The limit set so far for (kernel, device): 0 when never set (the device default applies).
  size_t limit(const void* kernel, int device) const;

 private:
  KernelLimitOps ops_;
  mutable std::mutex lock_;
  std::map<std::pair<const void*, int>, size_t> limits_;
  std::map<std::tuple<const void*, int, int, size_t>, int> resident_;
};

}  // namespace bitblock::kernels
