// AVX2 SDDMM: outputs as 8-column slices of blocks, up to 4 rows x 3 slices in 12 accumulators;
// per batch row three loads of X and four broadcasts of dY feed 12 FMAs. Slices of one block row
// share the broadcasts, whichever blocks they belong to.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "bsgemm/sddmm.hpp"

namespace bitblock::kernels::detail {
namespace {

// 8 columns (fewer in a ragged last block column) of one block: X at x, outputs at out.
struct Slice {
  const float* x;
  float* out;
  int cols;
};

__m256i lanes_below(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }

// Rows [0, R) of S slices (block rows ldo floats apart) over `rows` batch rows.
template <int R, int S, bool kFull>
void tile(const float* dy, int64_t lddy, const Slice* sl, int64_t ldx, int64_t rows, int ldo) {
  __m256i mask[S];
  const float* x[S];
  __m256 acc[R][S];
#pragma GCC unroll 3
  for (int s = 0; s < S; ++s) {
    mask[s] = lanes_below(sl[s].cols);
    x[s] = sl[s].x;
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      acc[r][s] = kFull ? _mm256_loadu_ps(sl[s].out + r * ldo) : _mm256_maskload_ps(sl[s].out + r * ldo, mask[s]);
    }
  }
  for (int64_t m = 0; m < rows; ++m, dy += lddy) {
    __m256 xv[S];
#pragma GCC unroll 3
    for (int s = 0; s < S; ++s) {
      xv[s] = kFull ? _mm256_loadu_ps(x[s]) : _mm256_maskload_ps(x[s], mask[s]);
      x[s] += ldx;
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m256 d = _mm256_broadcast_ss(dy + r);
#pragma GCC unroll 3
      for (int s = 0; s < S; ++s) acc[r][s] = _mm256_fmadd_ps(d, xv[s], acc[r][s]);
    }
  }
#pragma GCC unroll 3
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      if (kFull) {
        _mm256_storeu_ps(sl[s].out + r * ldo, acc[r][s]);
      } else {
        _mm256_maskstore_ps(sl[s].out + r * ldo, mask[s], acc[r][s]);
      }
    }
  }
}

template <int R, int S>
void tile_full(bool full, const float* dy, int64_t lddy, const Slice* sl, int64_t ldx, int64_t rows, int ldo) {
  if (full) {
    tile<R, S, true>(dy, lddy, sl, ldx, rows, ldo);
  } else {
    tile<R, S, false>(dy, lddy, sl, ldx, rows, ldo);
  }
}

template <int R>
void tile_slices(int S, bool full, const float* dy, int64_t lddy, const Slice* sl, int64_t ldx, int64_t rows,
                 int ldo) {
  switch (S) {
    case 3: tile_full<R, 3>(full, dy, lddy, sl, ldx, rows, ldo); break;
    case 2: tile_full<R, 2>(full, dy, lddy, sl, ldx, rows, ldo); break;
    default: tile_full<R, 1>(full, dy, lddy, sl, ldx, rows, ldo); break;
  }
}

// All slices, rows [0, nr) at dy.
void run_slices(const float* dy, int64_t lddy, const std::vector<Slice>& slices, int64_t ldx, int64_t rows, int nr,
                int ldo) {
  for (size_t s = 0; s < slices.size(); s += 3) {
    const int S = static_cast<int>(std::min<size_t>(3, slices.size() - s));
    bool full = true;
    for (int k = 0; k < S; ++k) full = full && slices[s + k].cols == 8;
    for (int r = 0; r < nr; r += 4) {
      Slice sl[3];
      for (int k = 0; k < S; ++k) sl[k] = {slices[s + k].x, slices[s + k].out + static_cast<int64_t>(r) * ldo, slices[s + k].cols};
      switch (std::min(4, nr - r)) {
        case 4: tile_slices<4>(S, full, dy + r, lddy, sl, ldx, rows, ldo); break;
        case 3: tile_slices<3>(S, full, dy + r, lddy, sl, ldx, rows, ldo); break;
        case 2: tile_slices<2>(S, full, dy + r, lddy, sl, ldx, rows, ldo); break;
        default: tile_slices<1>(S, full, dy + r, lddy, sl, ldx, rows, ldo); break;
      }
    }
  }
}

}  // namespace

void sddmm_block_avx2(const float* dy, int64_t lddy, const float* x, int64_t ldx, int64_t rows, int nr, int nc,
                      float* out, int ldo) {
  std::vector<Slice> slices;
  for (int c = 0; c < nc; c += 8) slices.push_back({x + c, out + c, std::min(8, nc - c)});
  run_slices(dy, lddy, slices, ldx, rows, nr, ldo);
}

void sddmm_row_avx2(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows, const BsrLayout& layout,
                    int64_t i, float* dW) {
  const int bc = layout.block_cols;
  std::vector<Slice> slices;
  for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b) {
    const int64_t j = layout.block_col_idx[b];
    const int nc = layout.cols_in_block_col(j);
    for (int c = 0; c < nc; c += 8) slices.push_back({X + j * bc + c, dW + b * layout.block_elems() + c, std::min(8, nc - c)});
  }
  run_slices(dY + i * layout.block_rows, lddy, slices, ldx, rows, layout.rows_in_block_row(i), bc);
}

}  // namespace bitblock::kernels::detail
