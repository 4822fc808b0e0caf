// AVX2 binary x binary GEMM with the outputs along vector lanes: B is regrouped so one vector
// holds the same 32-bit word of eight B rows (low and high nibbles stored apart), A's word is
// broadcast, and a mismatch count per step is two XORs, two nibble-table lookups (pshufb) and
// two byte adds for 8 outputs x 32 bits. An 8-row tile of A reuses every B load; byte counters
// are widened every 31 steps; each vector of counts is a contiguous run of C, so no horizontal
// reduction is needed.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bgemm/bgemm_simd.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::detail {
namespace {

constexpr int kRows = 8;        // rows of A per register tile
constexpr int64_t kSpan = 31;   // steps before a byte counter could pass 255 (8 per step)

inline uint32_t word32(const uint64_t* row, int64_t w) {
  return static_cast<uint32_t>(row[w / 2] >> (32 * (w % 2)));
}

// B rows n0 .. n0+8 (zero rows past N) -> words x {8 low-nibble lanes, 8 high-nibble lanes}.
void split_b_group(const uint64_t* B, int64_t N, int64_t words64, int64_t words, int64_t n0, uint32_t* out) {
  for (int64_t w = 0; w < words; ++w) {
    for (int l = 0; l < 8; ++l) {
      const uint32_t v = n0 + l < N ? word32(B + (n0 + l) * words64, w) : 0u;
      out[w * 16 + l] = v & 0x0f0f0f0fu;
      out[w * 16 + 8 + l] = (v >> 4) & 0x0f0f0f0fu;
    }
  }
}

template <int MR>
void tile(const uint32_t* a, int64_t words, const uint32_t* b, int64_t K, int32_t* C, int64_t ldc, int cols) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  alignas(32) int32_t total[MR][8] = {};
  const int64_t spans = (words + kSpan - 1) / kSpan;
  for (int64_t s = 0; s < spans; ++s) {
    // Even spans, so the widening cost is spread evenly.
    const int64_t w0 = words * s / spans, w1 = words * (s + 1) / spans;
    __m256i cnt[MR];
#pragma GCC unroll 8
    for (auto& x : cnt) x = _mm256_setzero_si256();
    for (int64_t w = w0; w < w1; ++w) {
      const __m256i blo = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + w * 16));
      const __m256i bhi = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + w * 16 + 8));
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m) {
        const __m256i alo = _mm256_set1_epi32(static_cast<int>(a[(m * words + w) * 2]));
        const __m256i ahi = _mm256_set1_epi32(static_cast<int>(a[(m * words + w) * 2 + 1]));
        const __m256i c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_xor_si256(alo, blo)),
                                          _mm256_shuffle_epi8(lut, _mm256_xor_si256(ahi, bhi)));
        cnt[m] = _mm256_add_epi8(cnt[m], c);
      }
    }
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      const __m256i wide = _mm256_madd_epi16(_mm256_maddubs_epi16(cnt[m], ones8), ones16);
      auto* t = reinterpret_cast<__m256i*>(total[m]);
      _mm256_store_si256(t, _mm256_add_epi32(_mm256_load_si256(t), wide));
    }
  }
  const __m256i k = _mm256_set1_epi32(static_cast<int>(K));
  for (int m = 0; m < MR; ++m) {
    const __m256i dot = _mm256_sub_epi32(k, _mm256_slli_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(total[m])), 1));
    if (cols == 8) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(C + m * ldc), dot);
    } else {
      alignas(32) int32_t v[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(v), dot);
      std::copy(v, v + cols, C + m * ldc);
    }
  }
}

}  // namespace

void bgemm_binary_avx2(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                       int64_t ldc) {
  const int64_t words64 = sign_words(K);
  const int64_t words = (K + 31) / 32;  // 32-bit words holding bits; the rest are padding zeros
  const int64_t groups = (N + 7) / 8;
  struct Operands {
    int64_t t0;
    AlignedBuffer<uint32_t> a, b;  // the thread's rows of A and all of B, split into nibbles
  };
  auto prepare = [&](int64_t t0, int64_t t1) {
    const int64_t m0 = t0 * kRows, m1 = std::min(M, t1 * kRows);
    Operands ops{t0, AlignedBuffer<uint32_t>((m1 - m0) * words * 2), AlignedBuffer<uint32_t>(groups * words * 16)};
    for (int64_t g = 0; g < groups; ++g) split_b_group(B, N, words64, words, g * 8, ops.b.data + g * words * 16);
    for (int64_t m = m0; m < m1; ++m) {
      for (int64_t w = 0; w < words; ++w) {
        const uint32_t v = word32(A + m * words64, w);
        ops.a.data[((m - m0) * words + w) * 2] = v & 0x0f0f0f0fu;
        ops.a.data[((m - m0) * words + w) * 2 + 1] = (v >> 4) & 0x0f0f0f0fu;
      }
    }
    return ops;
  };
  run_binary_tiles<kRows>(M, N, K, std::max<int64_t>(1, (int64_t{1} << 18) / (words * 64)), prepare,
                          [&](const Operands& ops, int64_t t, int64_t g, auto mr, int cols) {
                            tile<mr>(ops.a.data + (t - ops.t0) * kRows * words * 2, words, ops.b.data + g * words * 16,
                                     K, C + t * kRows * ldc + g * 8, ldc, cols);
                          });
}

}  // namespace bitblock::kernels::detail
