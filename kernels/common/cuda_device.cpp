// Which CUDA device is there and what it holds (cuda.hpp). Empty in a CPU-only build.
#ifdef BITBLOCK_HAS_CUDA
#include <map>
#include <mutex>

#include "bitblock/kernels/cuda.hpp"

namespace bitblock::kernels::cuda {

bool device_available() {
  int devices = 0;
  return cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0;
}

const DeviceLimits& device_limits() {
  static std::mutex lock;
  static std::map<int, DeviceLimits> known;  // by device ordinal; entries never move
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard<std::mutex> guard(lock);
  auto it = known.find(device);
  if (it == known.end()) {
    DeviceLimits d;
    int value = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount, device));
    d.sm_count = value;
    CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    d.smem_per_block = static_cast<size_t>(value);
    CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
    d.smem_per_sm = static_cast<size_t>(value);
    it = known.emplace(device, d).first;
  }
  return it->second;
}

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
