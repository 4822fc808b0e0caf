#pragma once
// The k-bit weight formulas that host and device code share bit for bit: the quantizer that
// training, export and the CUDA backend apply, and the decoder of the packed code stream
// (codes.hpp) that the CPU plan builder, integer inference and the CUDA kernels read. One
// definition each, callable from C++ and from CUDA kernels.
#include <cstdint>

#include "bitblock/common/host_device.hpp"

namespace bitblock::kernels {

// Largest code magnitude the k-bit quantizer uses (symmetric: -2^(k-1) is never produced).
BITBLOCK_HD int kbit_limit(int bits) { return (1 << (bits - 1)) - 1; }

// Smallest and largest value a stored code of `bits` bits can hold (binary: -1 and +1).
BITBLOCK_HD int code_min(int bits) { return bits == 1 ? -1 : -(1 << (bits - 1)); }
BITBLOCK_HD int code_max(int bits) { return bits == 1 ? 1 : (1 << (bits - 1)) - 1; }

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

}  // namespace bitblock::kernels
