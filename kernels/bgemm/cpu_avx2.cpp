// AVX2 binary x binary GEMM. Both operands are split once into low and high nibbles, so a pair's
// mismatch count per 256 bits is two XORs, two nibble-table lookups (pshufb) and two byte adds;
// a 2 x 4 tile of C reuses every load, and byte counters are widened (sad) before they overflow.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "bgemm/bgemm_avx2.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::detail {
namespace {

// rows x words -> rows x vecs x {low nibbles, high nibbles}, zero padded to whole vectors.
// Stored as uint64 quadruples (std::vector does not keep __m256i's alignment attribute).
std::vector<uint64_t> split_nibbles(const uint64_t* src, int64_t rows, int64_t words, int64_t vecs) {
  std::vector<uint64_t> out(static_cast<size_t>(rows * vecs * 2 * 4));
  auto* dst = reinterpret_cast<__m256i*>(out.data());
  const __m256i low = _mm256_set1_epi8(0x0f);
#pragma omp parallel for schedule(static) if (rows > 256)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t v = 0; v < vecs; ++v) {
      alignas(32) uint64_t w[4] = {0, 0, 0, 0};
      for (int64_t i = 0; i < 4 && v * 4 + i < words; ++i) w[i] = src[r * words + v * 4 + i];
      const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      _mm256_storeu_si256(dst + (r * vecs + v) * 2, _mm256_and_si256(x, low));
      _mm256_storeu_si256(dst + (r * vecs + v) * 2 + 1, _mm256_and_si256(_mm256_srli_epi16(x, 4), low));
    }
  }
  return out;
}

inline int64_t hsum64(__m256i v) {
  alignas(32) int64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
  return t[0] + t[1] + t[2] + t[3];
}

template <int MR, int NR>
void tile(const __m256i* a, const __m256i* b, int64_t vecs, int64_t K, int32_t* C, int64_t ldc) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i zero = _mm256_setzero_si256();
  __m256i wide[MR][NR];
  #pragma GCC unroll 8
  for (auto& row : wide) {
    #pragma GCC unroll 8
    for (auto& w : row) w = zero;
  }
  // At most 8 counted bits per byte and step: 31 steps stay below 256.
  for (int64_t v0 = 0; v0 < vecs; v0 += 31) {
    const int64_t v1 = std::min(vecs, v0 + 31);
    __m256i bytes[MR][NR];
    #pragma GCC unroll 8
    for (auto& row : bytes) {
      #pragma GCC unroll 8
      for (auto& x : row) x = zero;
    }
    for (int64_t v = v0; v < v1; ++v) {
      __m256i alo[MR], ahi[MR];
      #pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        alo[i] = _mm256_loadu_si256(a + (i * vecs + v) * 2);
        ahi[i] = _mm256_loadu_si256(a + (i * vecs + v) * 2 + 1);
      }
      #pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) {
        const __m256i blo = _mm256_loadu_si256(b + (j * vecs + v) * 2);
        const __m256i bhi = _mm256_loadu_si256(b + (j * vecs + v) * 2 + 1);
        #pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
          const __m256i c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_xor_si256(alo[i], blo)),
                                            _mm256_shuffle_epi8(lut, _mm256_xor_si256(ahi[i], bhi)));
          bytes[i][j] = _mm256_add_epi8(bytes[i][j], c);
        }
      }
    }
    #pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      #pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) wide[i][j] = _mm256_add_epi64(wide[i][j], _mm256_sad_epu8(bytes[i][j], zero));
    }
  }
  #pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    #pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) C[i * ldc + j] = static_cast<int32_t>(K - 2 * hsum64(wide[i][j]));
  }
}

template <int MR>
void row_strip(const __m256i* a, const __m256i* b, int64_t N, int64_t vecs, int64_t K, int32_t* C, int64_t ldc) {
  int64_t n = 0;
  for (; n + 4 <= N; n += 4) tile<MR, 4>(a, b + n * vecs * 2, vecs, K, C + n, ldc);
  for (; n < N; ++n) tile<MR, 1>(a, b + n * vecs * 2, vecs, K, C + n, ldc);
}

}  // namespace

void bgemm_binary_avx2(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                       int64_t ldc) {
  const int64_t words = sign_words(K);
  const int64_t vecs = (words + 3) / 4;
  const std::vector<uint64_t> a_split = split_nibbles(A, M, words, vecs);
  const std::vector<uint64_t> b_split = split_nibbles(B, N, words, vecs);
  const auto* a = reinterpret_cast<const __m256i*>(a_split.data());
  const auto* b = reinterpret_cast<const __m256i*>(b_split.data());
  // Column blocks of B small enough to stay in L2 while strips of A pass over them.
  const int64_t nb = std::max<int64_t>(4, (int64_t{1} << 18) / (vecs * 64) / 4 * 4);
  for (int64_t n0 = 0; n0 < N; n0 += nb) {
    const int64_t nn = std::min(nb, N - n0);
    const __m256i* bb = b + n0 * vecs * 2;
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < (M + 1) / 2; ++m) {
      const __m256i* aa = a + 2 * m * vecs * 2;
      if (2 * m + 1 < M) {
        row_strip<2>(aa, bb, nn, vecs, K, C + 2 * m * ldc + n0, ldc);
      } else {
        row_strip<1>(aa, bb, nn, vecs, K, C + 2 * m * ldc + n0, ldc);
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
