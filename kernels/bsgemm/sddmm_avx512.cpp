// AVX-512 SDDMM tile: up to 8 block rows x 4 block columns of dot products. A vector holds two
// rows' eight strided partial sums (rows r and r+1 at the same eight m), and a column's eight
// values are broadcast to both halves, so sixteen multiply-adds take one FMA. Each lane is the
// same FMA chain as the AVX2 tile's, and the partial sums are added in the same tree
// ((0+1)+(2+3))+((4+5)+(6+7)), so both paths give the same bits.
#include <immintrin.h>

#include "bsgemm/sddmm.hpp"

namespace bitblock::kernels::detail {
namespace {

// Zero-masked broadcast with a full mask: GCC 12's unmasked one starts from a self-initialized
// "undefined" vector that -Wuninitialized reports.
constexpr __mmask16 kAll = 0xffff;

// Per 128-bit lane: [a0+a1, a2+a3, b0+b1, b2+b3] (AVX2's hadd, on four 128-bit lanes).
inline __m512 hadd(__m512 a, __m512 b) {
  return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

inline float tree(const float* v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }

// P row pairs x C columns. hi[p] is row 2p+1, or a zero row where the tile has no such row.
template <int P, int C>
void tile(const float* dyt, const float* zero_row, int rows, const float* xt, int64_t ld, int64_t len, float* out,
          int ldo) {
  const float* lo[P];
  const float* hi[P];
  for (int p = 0; p < P; ++p) {
    lo[p] = dyt + 2 * p * ld;
    hi[p] = 2 * p + 1 < rows ? dyt + (2 * p + 1) * ld : zero_row;
  }
  __m512 s[P][C];
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) s[p][c] = _mm512_setzero_ps();
  }
  for (int64_t m = 0; m < len; m += 8) {
    __m512 a[P], b[C];
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) {
      a[p] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(lo[p] + m)), _mm256_loadu_ps(hi[p] + m), 1);
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) b[c] = _mm512_maskz_broadcast_f32x8(kAll, _mm256_loadu_ps(xt + c * ld + m));
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) {
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) s[p][c] = _mm512_fmadd_ps(a[p], b[c], s[p][c]);
    }
  }
  if constexpr (C == 4) {
    alignas(64) float v[16];
    for (int p = 0; p < P; ++p) {
      // 128-bit lanes of q: row 2p's partials 0-3 and 4-7 summed pairwise twice, then row 2p+1's;
      // the two halves of each row are added last.
      _mm512_store_ps(v, hadd(hadd(s[p][0], s[p][1]), hadd(s[p][2], s[p][3])));
      for (int c = 0; c < 4; ++c) out[2 * p * ldo + c] += v[c] + v[4 + c];
      if (2 * p + 1 < rows) {
        for (int c = 0; c < 4; ++c) out[(2 * p + 1) * ldo + c] += v[8 + c] + v[12 + c];
      }
    }
  } else {
    alignas(64) float v[16];
    for (int p = 0; p < P; ++p) {
      for (int c = 0; c < C; ++c) {
        _mm512_store_ps(v, s[p][c]);
        out[2 * p * ldo + c] += tree(v);
        if (2 * p + 1 < rows) out[(2 * p + 1) * ldo + c] += tree(v + 8);
      }
    }
  }
}

template <int P>
void tile_cols(int C, const float* dyt, const float* zero_row, int rows, const float* xt, int64_t ld, int64_t len,
               float* out, int ldo) {
  switch (C) {
    case 4: tile<P, 4>(dyt, zero_row, rows, xt, ld, len, out, ldo); break;
    case 3: tile<P, 3>(dyt, zero_row, rows, xt, ld, len, out, ldo); break;
    case 2: tile<P, 2>(dyt, zero_row, rows, xt, ld, len, out, ldo); break;
    default: tile<P, 1>(dyt, zero_row, rows, xt, ld, len, out, ldo); break;
  }
}

}  // namespace

void sddmm_block_avx512(const float* dyt, const float* zero_row, const float* xt, int64_t ld, int64_t len, int nr,
                        int nc, float* out, int ldo) {
  for (int r = 0; r < nr; r += 8) {
    const int rows = nr - r < 8 ? nr - r : 8;
    for (int c = 0; c < nc; c += 4) {
      const int C = nc - c < 4 ? nc - c : 4;
      const float* d = dyt + r * ld;
      const float* x = xt + c * ld;
      float* o = out + r * ldo + c;
      switch ((rows + 1) / 2) {
        case 4: tile_cols<4>(C, d, zero_row, rows, x, ld, len, o, ldo); break;
        case 3: tile_cols<3>(C, d, zero_row, rows, x, ld, len, o, ldo); break;
        case 2: tile_cols<2>(C, d, zero_row, rows, x, ld, len, o, ldo); break;
        default: tile_cols<1>(C, d, zero_row, rows, x, ld, len, o, ldo); break;
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
