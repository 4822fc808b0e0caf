// AVX-512 (VPOPCNTDQ) binary x binary GEMM, outputs along vector lanes like the AVX2 kernel: B is
// regrouped so one 512-bit vector holds the same 64-bit word of eight B rows, A's word is
// broadcast, and a step is one XOR, one VPOPCNTQ and one 64-bit add for 8 outputs x 64 bits
// (the AVX2 kernel needs six operations for 8 outputs x 32 bits). 64-bit counters never
// overflow, so there is no widening; the counts of a vector are a contiguous run of C.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "bgemm/bgemm_simd.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::detail {
namespace {

constexpr int kRows = 8;  // rows of A per register tile

template <int MR>
void tile(const uint64_t* a, int64_t words, const uint64_t* b, int64_t K, int32_t* C, int64_t ldc, int cols) {
  __m512i cnt[MR];
#pragma GCC unroll 8
  for (auto& x : cnt) x = _mm512_setzero_si512();
  for (int64_t w = 0; w < words; ++w) {
    const __m512i bv = _mm512_load_si512(b + w * 8);
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      const __m512i av = _mm512_set1_epi64(static_cast<long long>(a[m * words + w]));
      cnt[m] = _mm512_add_epi64(cnt[m], _mm512_popcnt_epi64(_mm512_xor_si512(av, bv)));
    }
  }
  const __m512i k = _mm512_set1_epi64(K);
  const auto lanes = static_cast<__mmask8>((1u << cols) - 1u);
  for (int m = 0; m < MR; ++m) {
    const __m512i dot = _mm512_sub_epi64(k, _mm512_add_epi64(cnt[m], cnt[m]));
    _mm512_mask_cvtepi64_storeu_epi32(C + m * ldc, lanes, dot);  // the first `cols` outputs
  }
}

}  // namespace

void bgemm_binary_avx512(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                         int64_t ldc) {
  const int64_t words = sign_words(K);
  const int64_t groups = (N + 7) / 8;
  auto prepare = [&](int64_t, int64_t) {
    AlignedWords b(groups * words * 8);  // word w of B rows 8g .. 8g+7 side by side
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t w = 0; w < words; ++w)
        for (int l = 0; l < 8; ++l) b.data[(g * words + w) * 8 + l] = g * 8 + l < N ? B[(g * 8 + l) * words + w] : 0u;
    return b;
  };
  run_binary_tiles<kRows>(M, N, K, std::max<int64_t>(1, (int64_t{1} << 18) / (words * 64)), prepare,
                          [&](const AlignedWords& b, int64_t t, int64_t g, auto mr, int cols) {
                            tile<mr>(A + t * kRows * words, words, b.data + g * words * 8, K,
                                     C + t * kRows * ldc + g * 8, ldc, cols);
                          });
}

}  // namespace bitblock::kernels::detail
