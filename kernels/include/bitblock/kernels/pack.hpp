#pragma once
// Packing for the training kernels: float signs -> bits in 64-bit words, and float <-> k-bit
// integer codes.
//
// Sign words: row r of a rows x cols matrix becomes sign_words(cols) uint64 words at
// out + r * sign_words(cols); bit (c % 64) of word c / 64 is 1 for +1 (x >= 0) and 0 for -1
// (x < 0). Padding bits past cols are 0 in every row, so they agree under XOR and add nothing
// to an XOR+popcount mismatch count (bgemm.hpp).
#include <cstdint>

#include "bitblock/kernels/kbit.hpp"  // BITBLOCK_HD

namespace bitblock::kernels {

BITBLOCK_HD int64_t sign_words(int64_t cols) { return (cols + 63) / 64; }

// Dispatches on active_isa() (AVX2 movemask or portable).
void pack_signs(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out);
// +-1 matrix (rows x cols, ld = cols) from sign words.
void unpack_signs(const uint64_t* bits, int64_t rows, int64_t cols, float* X, int64_t ldx);

// Uniform symmetric quantizer: code = clamp(round_half_away(x / scale), -(2^(bits-1)-1),
// 2^(bits-1)-1) for bits 2..4, 8; bits 1: code = x >= 0 ? +1 : -1 (scale ignored).
// scale must be > 0 for bits >= 2.
void quantize_codes(const float* x, int64_t n, int bits, float scale, int8_t* codes);
// x = code * scale.
void dequantize_codes(const int8_t* codes, int64_t n, float scale, float* x);

namespace reference {
void pack_signs(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out);
}  // namespace reference

}  // namespace bitblock::kernels
