// AVX-512 SDDMM for 8-column blocks: a vector holds two rows of a block's outputs (rows 2p and
// 2p+1, 8 columns each). Per batch row, one load of dY's 8 rows is spread into four such row
// pairs by permutes, and each block's 8 columns of X are broadcast to both halves: up to four
// blocks of a block row share the pairs, 16 FMAs per 4 permutes and 5 loads. Each output is the
// AVX2 path's FMA chain (same operands, same order), so both give the same bits.
#include <immintrin.h>

#include <algorithm>

#include "bsgemm/sddmm.hpp"

namespace bitblock::kernels::detail {
namespace {

// Zero-masked forms with a full mask: GCC 12's unmasked AVX-512 broadcast and permute start from
// a self-initialized "undefined" vector that -Wuninitialized reports.
constexpr __mmask16 kAll = 0xffff;

// Up to 8 rows (P pairs; `rows8` of them real) x 8 columns of B blocks over `rows` batch rows.
template <int P, int B>
void strip(const float* dy, int64_t lddy, const float* const* x, int64_t ldx, int64_t rows, int rows8,
           float* const* out) {
  const __mmask8 dmask = static_cast<__mmask8>((1u << rows8) - 1);
  // The last pair holds one real row when rows8 is odd.
  const __mmask16 last = (rows8 & 1) ? 0x00ff : kAll;
  __m512i idx[P];
  __m512 acc[B][P];
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
    idx[p] = _mm512_mask_blend_epi32(0xff00, _mm512_set1_epi32(2 * p), _mm512_set1_epi32(2 * p + 1));
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) acc[b][p] = _mm512_maskz_loadu_ps(p == P - 1 ? last : kAll, out[b] + 16 * p);
  }
  const float* xb[B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) xb[b] = x[b];
  for (int64_t m = 0; m < rows; ++m, dy += lddy) {
    const __m512 d = _mm512_castps256_ps512(_mm256_maskz_loadu_ps(dmask, dy));
    __m512 pr[P];
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) pr[p] = _mm512_maskz_permutexvar_ps(kAll, idx[p], d);
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      const __m512 xv = _mm512_maskz_broadcast_f32x8(kAll, _mm256_loadu_ps(xb[b]));
      xb[b] += ldx;
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) acc[b][p] = _mm512_fmadd_ps(pr[p], xv, acc[b][p]);
    }
  }
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) _mm512_mask_storeu_ps(out[b] + 16 * p, p == P - 1 ? last : kAll, acc[b][p]);
  }
}

template <int P>
void strip_blocks(int B, const float* dy, int64_t lddy, const float* const* x, int64_t ldx, int64_t rows, int rows8,
                  float* const* out) {
  switch (B) {
    case 4: strip<P, 4>(dy, lddy, x, ldx, rows, rows8, out); break;
    case 3: strip<P, 3>(dy, lddy, x, ldx, rows, rows8, out); break;
    case 2: strip<P, 2>(dy, lddy, x, ldx, rows, rows8, out); break;
    default: strip<P, 1>(dy, lddy, x, ldx, rows, rows8, out); break;
  }
}

}  // namespace

void sddmm_row_avx512(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows,
                      const BsrLayout& layout, int64_t i, float* dW) {
  const int bc = layout.block_cols;
  if (bc != 8) {
    sddmm_row_avx2(dY, lddy, X, ldx, rows, layout, i, dW);
    return;
  }
  const int nr = layout.rows_in_block_row(i);
  const int64_t be = layout.block_elems();
  const float* dy = dY + i * layout.block_rows;
  // Blocks of the row, the full-width ones in runs of up to four; a ragged last block column
  // (fewer than 8 columns) runs the AVX2 block.
  const float* x[4];
  float* out[4];
  int32_t b = layout.block_row_ptr[i];
  const int32_t end = layout.block_row_ptr[i + 1];
  while (b < end) {
    int B = 0;
    int32_t next = b;
    for (; next < end && B < 4; ++next) {
      const int64_t j = layout.block_col_idx[next];
      if (layout.cols_in_block_col(j) != 8) break;
      x[B] = X + j * 8;
      out[B] = dW + next * be;
      ++B;
    }
    if (B == 0) {
      const int64_t j = layout.block_col_idx[b];
      sddmm_block_avx2(dy, lddy, X + j * 8, ldx, rows, nr, layout.cols_in_block_col(j), dW + b * be, bc);
      ++b;
      continue;
    }
    for (int r = 0; r < nr; r += 8) {
      const int rows8 = std::min(8, nr - r);
      float* o[4];
      for (int k = 0; k < B; ++k) o[k] = out[k] + static_cast<int64_t>(r) * 8;
      switch ((rows8 + 1) / 2) {
        case 4: strip_blocks<4>(B, dy + r, lddy, x, ldx, rows, rows8, o); break;
        case 3: strip_blocks<3>(B, dy + r, lddy, x, ldx, rows, rows8, o); break;
        case 2: strip_blocks<2>(B, dy + r, lddy, x, ldx, rows, rows8, o); break;
        default: strip_blocks<1>(B, dy + r, lddy, x, ldx, rows, rows8, o); break;
      }
    }
    b = next;
  }
}

}  // namespace bitblock::kernels::detail
