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

struct SignMasks {
  uint64_t ge, nonzero;  // x >= 0 and x != 0, per lane
};

// Packs each row's K values 64 at a time, `Width` lanes per compare: cmp(x + c0, lanes) gives the
// masks of the lanes set in `lanes` (the last chunk of a row holds fewer).
template <int Width, typename T, typename Cmp>
void pack_rows(const T* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero, uint8_t* has_zero,
               Cmp cmp) {
  const int64_t words = (K + 63) / 64;
#pragma omp parallel for schedule(static) if (M * K > (1 << 16))
  for (int64_t m = 0; m < M; ++m) {
    const T* x = X + m * ldx;
    uint64_t missing = 0;
    for (int64_t w = 0; w < words; ++w) {
      uint64_t p = 0, q = 0;
      for (int s = 0; s < 64 / Width; ++s) {
        const int64_t c0 = w * 64 + s * Width;
        if (c0 >= K) break;
        const uint64_t lanes = K - c0 >= Width ? (uint64_t{1} << Width) - 1 : (uint64_t{1} << (K - c0)) - 1;
        const SignMasks k = cmp(x + c0, lanes);
        p |= k.ge << (s * Width);
        q |= k.nonzero << (s * Width);
        missing |= lanes ^ k.nonzero;
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
  pack_rows<16>(X, M, K, ldx, bits, nonzero, has_zero, [](const float* x, uint64_t lanes) {
    const auto k = static_cast<__mmask16>(lanes);
    const __m512 v = _mm512_maskz_loadu_ps(k, x);
    return SignMasks{_mm512_mask_cmp_ps_mask(k, v, _mm512_setzero_ps(), _CMP_GE_OQ),
                     _mm512_mask_cmp_ps_mask(k, v, _mm512_setzero_ps(), _CMP_NEQ_OQ)};
  });
}
void pack_sign_rows_avx512(const int16_t* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero,
                           uint8_t* has_zero) {
  pack_rows<32>(X, M, K, ldx, bits, nonzero, has_zero, [](const int16_t* x, uint64_t lanes) {
    const auto k = static_cast<__mmask32>(lanes);
    const __m512i v = _mm512_maskz_loadu_epi16(k, x);
    return SignMasks{_mm512_mask_cmpge_epi16_mask(k, v, _mm512_setzero_si512()),
                     _mm512_mask_cmpneq_epi16_mask(k, v, _mm512_setzero_si512())};
  });
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
