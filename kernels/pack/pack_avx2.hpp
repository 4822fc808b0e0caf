#pragma once
// AVX2 sign packing, compiled only into pack/cpu_avx2.cpp; called after the cpuid check.
#include <cstdint>

namespace bitblock::kernels::detail {
void pack_signs_avx2(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out);
}  // namespace bitblock::kernels::detail
