#pragma once
// The k-bit weight formulas that host and device code share bit for bit: the quantizer that
// training, export and the CUDA backend apply, and the decoder of the packed code stream
// (codes.hpp) that the CPU plan builder, integer inference and the CUDA kernels read. One
// definition each, callable from C++ and from CUDA kernels.
#include <cstdint>

#include "bitblock/common/host_device.hpp"

namespace bitblock::kernels {

// Largest code magnitude the k-bit quantizer uses (symmetric: -2^(k-1) is never produced).
// Unsigned shifts: defined up to bits = 32 (float layers ask too, and ignore the answer).
BITBLOCK_HD int kbit_limit(int bits) { return static_cast<int>((1u << (bits - 1)) - 1u); }

// Smallest and largest value a stored code of `bits` bits can hold (binary: -1 and +1).
BITBLOCK_HD int code_min(int bits) { return bits == 1 ? -1 : -kbit_limit(bits) - 1; }
BITBLOCK_HD int code_max(int bits) { return bits == 1 ? 1 : kbit_limit(bits); }

// k-bit code of w under a scale s > 0 with |w / s| <= limit up to rounding: w / s rounded half
// away from zero, clamped to +-limit. Truncating, then comparing the exact remainder with 0.5,
// stays inline and vectorizable where std::round is a library call (and is the same on a GPU).
BITBLOCK_HD int kbit_code(float w, float s, int limit) {
  const float x = w / s;
  int q = static_cast<int>(x);
  const float rest = x - static_cast<float>(q);
  q += static_cast<int>(rest >= 0.5f) - static_cast<int>(rest <= -0.5f);
  q = q > limit ? limit : q;
  return q < -limit ? -limit : q;
}

// Integer code of one kept weight under scale s: binary is the sign with sign(0) = +1; k bits
// is kbit_code, 0 when s == 0 (a row whose kept weights are all zero).
BITBLOCK_HD int quantize_code(float w, float s, int bits) {
  if (bits == 1) return w >= 0.0f ? 1 : -1;
  return s == 0.0f ? 0 : kbit_code(w, s, kbit_limit(bits));
}

// Value of a raw `bits`-wide field of the stream: two's complement, or for binary 1 -> +1 and
// 0 -> -1.
BITBLOCK_HD int decode_code(uint32_t raw, int bits) {
  if (bits == 1) return raw ? 1 : -1;
  const int extend = 32 - bits;
  return static_cast<int32_t>(raw << extend) >> extend;
}

// Code e of a stream whose bytes [byte, byte + 2) are `window` (low byte first): a field of at
// most 8 bits starting at bit (e * bits) % 8 always lies inside two bytes.
BITBLOCK_HD int decode_code_in_window(uint32_t window, int64_t e, int bits) {
  const uint32_t raw = (window >> ((e * bits) & 7)) & ((1u << bits) - 1u);
  return decode_code(raw, bits);
}

// Code e of a packed stream of `bytes` bytes (reads at most the two bytes holding it).
BITBLOCK_HD int code_at(const uint8_t* packed, int64_t bytes, int64_t e, int bits) {
  const int64_t byte = (e * bits) >> 3;
  uint32_t window = packed[byte];
  if (byte + 1 < bytes) window |= static_cast<uint32_t>(packed[byte + 1]) << 8;
  return decode_code_in_window(window, e, bits);
}

// The stored `bits`-wide field of code value v (the inverse of decode_code): two's complement,
// binary +1 -> 1 and -1 -> 0.
BITBLOCK_HD uint32_t encode_code(int v, int bits) {
  if (bits == 1) return v > 0 ? 1u : 0u;
  return static_cast<uint32_t>(v) & ((1u << bits) - 1u);
}

// Word w (32 bits, little-endian) of the packed stream of n codes whose values code_of(e) gives:
// the fields of the codes that touch the word, the straddling ones in part; 0 past the stream.
// Writers that fill a stream one word per thread (the device quantizer) and host builders share it.
template <typename CodeOf>
BITBLOCK_HD uint32_t packed_stream_word(int64_t w, int64_t n, int bits, CodeOf code_of) {
  uint32_t word = 0;
  const int64_t first = (w * 32) / bits, last = (w * 32 + 31) / bits;  // codes touching the word
  for (int64_t e = first; e <= last && e < n; ++e) {
    const uint64_t field = encode_code(code_of(e), bits);
    const int64_t shift = e * bits - w * 32;  // negative for a code straddling in from below
    word |= static_cast<uint32_t>(shift >= 0 ? field << shift : field >> -shift);
  }
  return word;
}

// ---- Vectorised reads for the tensor-core kernels ----------------------------------------------
// The same stream seen as little-endian 32-bit words (stream bit j is bit j % 32 of word j / 32,
// which is the byte stream's order on every little-endian host and on the GPU).

// Codes e and e + 1 as one 2 * bits field, code e in the low bits. Reads word (e * bits) / 32 and,
// when the field runs past it, the next word (so a stream must be readable one word past a field
// that ends in its last word).
BITBLOCK_HD uint32_t code_pair_field(const uint32_t* words, int64_t e, int bits) {
  const int64_t bit = e * bits;
  const int64_t w = bit >> 5;
  const int shift = static_cast<int>(bit & 31);
  uint64_t window = words[w];
  if (shift + 2 * bits > 32) window |= static_cast<uint64_t>(words[w + 1]) << 32;
  return static_cast<uint32_t>(window >> shift) & ((1u << (2 * bits)) - 1u);
}

// Two codes of a pair field as a bf16x2 operand without a conversion instruction per code:
// expand() places u0 and u1, each code offset to 0..127 (k bits: the field with its sign bit
// flipped, i.e. code + 2^(k-1); binary: 2 * stored bit), under the bf16 pattern of 128 (0x4300),
// giving the bf16 values 128 + u in the low and high halves; subtracting `offset` (exact in bf16:
// an integer below 256) from both halves leaves the codes. Four integer operations and one bf16x2
// subtraction per pair. bits 1..7 only: 8-bit codes need u up to 255, past bf16's 8 significant
// bits (those kernels convert decode_code through float instead).
struct Bf16PairExpander {
  uint32_t shift_lo = 0, shift_hi = 0, mask = 0, pattern = 0;
  int offset = 0;
  BITBLOCK_HD explicit Bf16PairExpander(int bits) {
    const uint32_t field = (1u << bits) - 1u;
    if (bits == 1) {
      shift_lo = 1;
      shift_hi = 16;
      mask = 0x00020002u;
      pattern = 0x43004300u;
      offset = 129;
    } else {
      shift_lo = 0;
      shift_hi = 16u - static_cast<uint32_t>(bits);
      mask = field | (field << 16);
      const uint32_t flip = 1u << (bits - 1);
      pattern = 0x43004300u | flip | (flip << 16);
      offset = 128 + (1 << (bits - 1));
    }
  }
  // The halves' bf16 bit patterns of 128 + u0 (low) and 128 + u1 (high).
  BITBLOCK_HD uint32_t expand(uint32_t pair_field) const {
    return (((pair_field << shift_lo) | (pair_field << shift_hi)) & mask) ^ pattern;
  }
};

// Four binary codes (bits 0..3 of `nibble`, stored bit 1 = +1) as four int8 lanes of one word,
// low byte first: 0x01 for +1, 0xFF for -1. The multiply spreads bit i to bit 8i (the four
// shifted copies do not overlap, so nothing carries); (1 - bit) * 0xFE stays inside its byte.
BITBLOCK_HD uint32_t binary_codes_s8x4(uint32_t nibble) {
  const uint32_t ones = ((nibble & 0xFu) * 0x00204081u) & 0x01010101u;
  return ((ones ^ 0x01010101u) * 0xFEu) | 0x01010101u;
}

}  // namespace bitblock::kernels
