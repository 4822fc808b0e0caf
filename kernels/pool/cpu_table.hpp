#pragma once
// The max-pool kernels of one ISA (cpu_body.hpp), as cpu.cpp dispatches them.
#include <cstdint>

namespace bitblock::kernels::detail {

struct PoolCpu {
  void (*forward)(const float* in, int64_t planes, int64_t h, int64_t w, int kernel, int stride, float* out,
                  int32_t* arg);
};

extern const PoolCpu pool_portable, pool_avx2, pool_avx512;

}  // namespace bitblock::kernels::detail
