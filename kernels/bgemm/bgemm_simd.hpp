#pragma once
// SIMD binary GEMMs, each compiled only into its ISA's file (cpu_avx2.cpp, cpu_avx512.cpp) and
// called after the cpuid check (active_isa()).
#include <cstdint>
#include <vector>

namespace bitblock::kernels::detail {

void bgemm_binary_avx2(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                       int64_t ldc);
void bgemm_binary_avx512(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                         int64_t ldc);

// 64-byte aligned word storage for vector loads (std::vector does not over-align).
template <typename T>
struct AlignedBuffer {
  std::vector<T> raw;
  T* data = nullptr;
  explicit AlignedBuffer(int64_t n) : raw(static_cast<size_t>(n) + 64 / sizeof(T)) {
    const auto misaligned = reinterpret_cast<uintptr_t>(raw.data()) % 64;
    data = raw.data() + (misaligned ? (64 - misaligned) / sizeof(T) : 0);
  }
};
using AlignedWords = AlignedBuffer<uint64_t>;

}  // namespace bitblock::kernels::detail
