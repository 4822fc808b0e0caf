// Launch bookkeeping shared by the CUDA kernels (cuda_launch.hpp). Empty in a CPU-only build.
#ifdef BITBLOCK_HAS_CUDA
#include "common/cuda_launch.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "bitblock/kernels/cuda_check.hpp"

namespace bitblock::kernels::cuda {

int resident_ctas(const void* kernel, int threads, size_t smem) {
  static std::mutex lock;
  static std::map<std::tuple<const void*, int, int, size_t>, int> known;
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard<std::mutex> guard(lock);
  const auto key = std::make_tuple(kernel, device, threads, smem);
  auto it = known.find(key);
  if (it == known.end()) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
    int resident = 0;
    CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, kernel, threads, smem));
    it = known.emplace(key, std::max(1, resident)).first;
  }
  return it->second;
}

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
