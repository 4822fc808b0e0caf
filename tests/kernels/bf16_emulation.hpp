#pragma once
// The tensor cores' number formats on the CPU: bf16 rounding as cvt.rn.bf16x2.f32 does it, and the
// kernels' bf16x2 B operand of a k-bit code pair. The warp instructions themselves are emulated
// in simt_emulation.hpp.
#include <cstdint>
#include <cstring>

#include "bitblock/kernels/kbit.hpp"

namespace bitblock::kernels::testing {

// bf16 round-to-nearest-even, as cvt.rn.bf16x2.f32 rounds (NaN kept quiet).
inline uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_float(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float bf16_round(float x) { return bf16_float(bf16_bits(x)); }
inline uint32_t bf16x2(float lo, float hi) {
  return static_cast<uint32_t>(bf16_bits(lo)) | (static_cast<uint32_t>(bf16_bits(hi)) << 16);
}
inline float bf16_half(uint32_t reg, int h) { return bf16_float(static_cast<uint16_t>(reg >> (16 * h))); }

// The kernels' B operand of one code pair field: Bf16PairExpander then the bf16x2 subtraction of
// its offset (exact: the device's __hsub2 gives the same bits), or for 8-bit codes decode_code
// and a float -> bf16 conversion.
inline uint32_t code_pair_operand(uint32_t field, int bits) {
  if (bits == 8) return bf16x2(static_cast<float>(decode_code(field & 0xffu, 8)), static_cast<float>(decode_code(field >> 8, 8)));
  const Bf16PairExpander x(bits);
  const uint32_t biased = x.expand(field);
  return bf16x2(bf16_half(biased, 0) - static_cast<float>(x.offset), bf16_half(biased, 1) - static_cast<float>(x.offset));
}

}  // namespace bitblock::kernels::testing
