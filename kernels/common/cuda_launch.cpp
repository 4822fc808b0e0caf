// Launch bookkeeping shared by the CUDA kernels (cuda_launch.hpp). Empty in a CPU-only build.
#ifdef BITBLOCK_HAS_CUDA
#include "common/cuda_launch.hpp"

#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/launch_limits.hpp"

namespace bitblock::kernels::cuda {

int resident_ctas(const void* kernel, int threads, size_t smem) {
  // The calls act on the current device, which prepare's caller passes as `device`.
  static KernelLimits limits({[](const void* k, int, size_t bytes) {
                                CUDA_CHECK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                                static_cast<int>(bytes)));
                              },
                              [](const void* k, int, int t, size_t bytes) {
                                int resident = 0;
                                CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, k, t, bytes));
                                return resident;
                              }});
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  return limits.prepare(kernel, device, threads, smem);
}

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
