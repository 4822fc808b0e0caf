// CUDA benchmarks: registered only when a CUDA device is present (see cuda_gemm_bench.cpp).
#include "bench_common.hpp"

#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>
#endif

namespace bitblock::bench {

#ifdef BITBLOCK_HAS_CUDA
void register_cuda_gemm_benchmarks();
#endif

bool register_cuda_benchmarks() {
#ifdef BITBLOCK_HAS_CUDA
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) return false;
  register_cuda_gemm_benchmarks();
  return true;
#else
  return false;
#endif
}

}  // namespace bitblock::bench
