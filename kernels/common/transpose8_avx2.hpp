#pragma once
// 8x8 float transpose in AVX2 registers: eight rows of eight (src, stride lds) become eight
// runs of eight (dst, stride ldd). Shared by the kernels that repack operands so the batch runs
// along vector lanes. Include only from *_avx2.cpp and *_avx512.cpp files (compiled with -mavx2
// or more); internal linkage, so each ISA's object keeps its own copy (scripts/check-isa-objects.sh).
#include <immintrin.h>

#include <cstdint>

namespace bitblock::kernels::detail {
namespace {

// v[q] lane i becomes v[i] lane q.
inline void transpose8x8_registers(__m256 (&v)[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
  const __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
  const __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]), t5 = _mm256_unpackhi_ps(v[4], v[5]);
  const __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]), t7 = _mm256_unpackhi_ps(v[6], v[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
  v[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  v[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  v[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  v[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  v[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  v[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  v[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  v[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

inline void transpose8x8_avx2(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m256 v[8];
#pragma GCC unroll 8
  for (int q = 0; q < 8; ++q) v[q] = _mm256_loadu_ps(src + q * lds);
  transpose8x8_registers(v);
#pragma GCC unroll 8
  for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + q * ldd, v[q]);
}

}  // namespace
}  // namespace bitblock::kernels::detail
