#pragma once
// The masked binary product of bgemm_blocks.hpp, shared by its ISA files: packed sign inputs
// (bits, nonzero mask, per-row "has a 0" flag) against grouped weight signs and masks.
#include <cstdint>

#include "bitblock/kernels/bgemm_blocks.hpp"

namespace bitblock::kernels::detail {

struct SignRows {
  const uint64_t* bits;      // M rows of W.words words: bit 1 = x >= 0
  const uint64_t* nonzero;   // M rows: bit 1 = x != 0
  const uint8_t* has_zero;   // M flags
  int64_t M;
};

// C[m][n] = the exact dot product over row n's kept positions (C row m at C + m * ldc).
void sign_blocks_portable(const SignRows& x, const BinaryBlocks& W, int32_t* C, int64_t ldc);
void sign_blocks_popcnt(const SignRows& x, const BinaryBlocks& W, int32_t* C, int64_t ldc);   // blocks_avx2.cpp
void sign_blocks_avx512(const SignRows& x, const BinaryBlocks& W, int32_t* C, int64_t ldc);   // blocks_avx512.cpp

// Packs rows of X: bits (x >= 0), nonzero (x != 0), whether each row has a 0 (blocks_avx512.cpp).
void pack_sign_rows_avx512(const float* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero,
                           uint8_t* has_zero);
void pack_sign_rows_avx512(const int16_t* X, int64_t M, int64_t K, int64_t ldx, uint64_t* bits, uint64_t* nonzero,
                           uint8_t* has_zero);

// The plain loop, compiled once per ISA file (the popcount instruction where it is enabled).
inline void sign_blocks_loop(const SignRows& x, const BinaryBlocks& W, int32_t* C, int64_t ldc) {
  const int64_t N = W.layout.rows, groups = (N + 7) / 8, words = W.words;
#pragma omp parallel for schedule(static) if (x.M * N * words > (int64_t{1} << 16))
  for (int64_t m = 0; m < x.M; ++m) {
    const uint64_t* a = x.bits + m * words;
    const uint64_t* nz = x.nonzero + m * words;
    const bool zeros = x.has_zero[m] != 0;
    for (int64_t g = 0; g < groups; ++g) {
      const int lanes = static_cast<int>(N - g * 8 < 8 ? N - g * 8 : 8);
      for (int l = 0; l < lanes; ++l) {
        int64_t mismatches = 0, valid = 0;
        for (int64_t i = W.active_ptr[g]; i < W.active_ptr[g + 1]; ++i) {
          const int64_t w = W.active[i], at = (g * words + w) * 8 + l;
          uint64_t keep = W.mask[at];
          if (zeros) {
            keep &= nz[w];
            valid += __builtin_popcountll(keep);
          }
          mismatches += __builtin_popcountll((a[w] ^ W.signs[at]) & keep);
        }
        const int64_t n = g * 8 + l;
        C[m * ldc + n] = static_cast<int32_t>((zeros ? valid : W.kept[n]) - 2 * mismatches);
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
