#pragma once
// AVX2 binary GEMM, compiled only into bgemm/cpu_avx2.cpp; called after the cpuid check.
#include <cstdint>

namespace bitblock::kernels::detail {
void bgemm_binary_avx2(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                       int64_t ldc);
}  // namespace bitblock::kernels::detail
