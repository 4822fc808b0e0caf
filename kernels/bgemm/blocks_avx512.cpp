// AVX-512 masked binary product: one vector holds the same word of a group's eight weight rows
// (signs and masks), an input word is broadcast, and a step is one ternary-logic op
// ((x xor w) and mask), one VPOPCNTQ and one add for 8 outputs x 64 positions. Tiles of 8 input
// rows reuse every weight load. Rows with a 0 (padding) take a second AND and count their valid
// positions alongside.
#include <immintrin.h>

#include <algorithm>

#include "bgemm/blocks_kernel.hpp"

namespace bitblock::kernels::detail {
namespace {

constexpr int kRows = 8;
constexpr int kXorAnd = 0x28;  // (A xor B) and C over the ternary-logic truth table (A F0, B CC, C AA)

template <bool Zeros>
void tile(const SignRows& x, const BinaryBlocks& W, int64_t m0, int rows, int64_t g, int32_t* C, int64_t ldc) {
  const int64_t words = W.words;
  __m512i cnt[kRows], valid[kRows];
  for (int r = 0; r < kRows; ++r) cnt[r] = valid[r] = _mm512_setzero_si512();
  for (int64_t i = W.active_ptr[g]; i < W.active_ptr[g + 1]; ++i) {
    const int64_t w = W.active[i];
    const __m512i bv = _mm512_loadu_si512(W.signs.data() + (g * words + w) * 8);
    const __m512i mv = _mm512_loadu_si512(W.mask.data() + (g * words + w) * 8);
    for (int r = 0; r < rows; ++r) {
      const int64_t m = m0 + r;
      const __m512i av = _mm512_set1_epi64(static_cast<long long>(x.bits[m * words + w]));
      __m512i d = _mm512_ternarylogic_epi64(av, bv, mv, kXorAnd);
      if constexpr (Zeros) {
        const __m512i nz = _mm512_set1_epi64(static_cast<long long>(x.nonzero[m * words + w]));
        d = _mm512_and_si512(d, nz);
        valid[r] = _mm512_add_epi64(valid[r], _mm512_popcnt_epi64(_mm512_and_si512(mv, nz)));
      }
      cnt[r] = _mm512_add_epi64(cnt[r], _mm512_popcnt_epi64(d));
    }
  }
  const int64_t n0 = g * 8;
  const int lanes = static_cast<int>(std::min<int64_t>(8, W.layout.rows - n0));
  const auto lane_mask = static_cast<__mmask8>((1u << lanes) - 1u);
  const __m512i kept = _mm512_loadu_si512(W.kept.data() + n0);
  for (int r = 0; r < rows; ++r) {
    const int64_t m = m0 + r;
    const __m512i total = Zeros && x.has_zero[m] ? valid[r] : kept;
    const __m512i dot = _mm512_sub_epi64(total, _mm512_add_epi64(cnt[r], cnt[r]));
    _mm512_mask_cvtepi64_storeu_epi32(C + m * ldc + n0, lane_mask, dot);
  }
}

template <typename T>
void pack_rows(const T* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero, uint8_t* has_zero);

// 16 floats per compare.
template <>
void pack_rows(const float* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero,
               uint8_t* has_zero) {
  const int64_t words = (K + 63) / 64;
#pragma omp parallel for schedule(static) if (M * K > (1 << 16))
  for (int64_t m = 0; m < M; ++m) {
    const float* x = X + m * ldx;
    uint64_t missing = 0;
    for (int64_t w = 0; w < words; ++w) {
      uint64_t p = 0, q = 0;
      for (int s = 0; s < 4; ++s) {
        const int64_t c0 = w * 64 + s * 16;
        if (c0 >= K) break;
        const auto lanes = static_cast<__mmask16>(K - c0 >= 16 ? 0xffff : (1u << (K - c0)) - 1u);
        const __m512 v = _mm512_maskz_loadu_ps(lanes, x + c0);
        p |= static_cast<uint64_t>(_mm512_mask_cmp_ps_mask(lanes, v, _mm512_setzero_ps(), _CMP_GE_OQ)) << (s * 16);
        const uint64_t nz = _mm512_mask_cmp_ps_mask(lanes, v, _mm512_setzero_ps(), _CMP_NEQ_OQ);
        q |= nz << (s * 16);
        missing |= lanes ^ nz;
      }
      bits[m * words + w] = p;
      nonzero[m * words + w] = q;
    }
    has_zero[m] = missing != 0;
  }
}

// 32 int16 per compare.
template <>
void pack_rows(const int16_t* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero,
               uint8_t* has_zero) {
  const int64_t words = (K + 63) / 64;
#pragma omp parallel for schedule(static) if (M * K > (1 << 16))
  for (int64_t m = 0; m < M; ++m) {
    const int16_t* x = X + m * ldx;
    uint64_t missing = 0;
    for (int64_t w = 0; w < words; ++w) {
      uint64_t p = 0, q = 0;
      for (int s = 0; s < 2; ++s) {
        const int64_t c0 = w * 64 + s * 32;
        if (c0 >= K) break;
        const auto lanes = static_cast<__mmask32>(K - c0 >= 32 ? 0xffffffffu : (1u << (K - c0)) - 1u);
        const __m512i v = _mm512_maskz_loadu_epi16(lanes, x + c0);
        p |= static_cast<uint64_t>(_mm512_mask_cmpge_epi16_mask(lanes, v, _mm512_setzero_si512())) << (s * 32);
        const uint64_t nz = _mm512_mask_cmpneq_epi16_mask(lanes, v, _mm512_setzero_si512());
        q |= nz << (s * 32);
        missing |= lanes ^ nz;
      }
      bits[m * words + w] = p;
      nonzero[m * words + w] = q;
    }
    has_zero[m] = missing != 0;
  }
}

}  // namespace

void pack_sign_rows_avx512(const float* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero,
                           uint8_t* has_zero) {
  pack_rows(X, M, K, ldx, bits, nonzero, has_zero);
}
void pack_sign_rows_avx512(const int16_t* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero,
                           uint8_t* has_zero) {
  pack_rows(X, M, K, ldx, bits, nonzero, has_zero);
}

void sign_blocks_avx512(const SignRows& x, const BinaryBlocks& W, int32_t* C, int64_t ldc) {
  const int64_t groups = (W.layout.rows + 7) / 8, tiles = (x.M + kRows - 1) / kRows;
#pragma omp parallel for schedule(static) if (x.M * W.layout.rows * W.words > (int64_t{1} << 16))
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t m0 = t * kRows;
    const int rows = static_cast<int>(std::min<int64_t>(kRows, x.M - m0));
    bool zeros = false;
    for (int r = 0; r < rows; ++r) zeros = zeros || x.has_zero[m0 + r];
    for (int64_t g = 0; g < groups; ++g) {
      if (zeros) {
        tile<true>(x, W, m0, rows, g, C, ldc);
      } else {
        tile<false>(x, W, m0, rows, g, C, ldc);
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
