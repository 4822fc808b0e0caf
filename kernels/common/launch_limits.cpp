// Raise-only dynamic shared-memory limits per (kernel, device) (launch_limits.hpp).
#include "bitblock/kernels/launch_limits.hpp"

#include <algorithm>

namespace bitblock::kernels {

int KernelLimits::prepare(const void* kernel, int device, int threads, size_t bytes) {
  const std::lock_guard<std::mutex> guard(lock_);
  size_t& limit = limits_[{kernel, device}];
  if (bytes > limit) {
    ops_.set_limit(kernel, device, bytes);
    limit = bytes;
  }
  const auto key = std::make_tuple(kernel, device, threads, bytes);
  auto it = resident_.find(key);
  if (it == resident_.end()) it = resident_.emplace(key, std::max(1, ops_.occupancy(kernel, device, threads, bytes))).first;
  return it->second;
}

size_t KernelLimits::limit(const void* kernel, int device) const {
  const std::lock_guard<std::mutex> guard(lock_);
  const auto it = limits_.find({kernel, device});
  return it == limits_.end() ? 0 : it->second;
}

}  // namespace bitblock::kernels
