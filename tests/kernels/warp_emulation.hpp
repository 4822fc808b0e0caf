#pragma once
// One warp's ldmatrix and mma on the CPU, from the PTX tables in mma_fragments.hpp: the tests
// fill each lane's registers the way the tensor-core kernels do (same address helpers, same code
// expansion) and compare the emulated products with plain loops, so a wrong lane, register, half
// or matrix order shows up without a GPU.
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>

#include "bitblock/kernels/kbit.hpp"
#include "bitblock/kernels/mma_fragments.hpp"

namespace bitblock::kernels::testing {

constexpr int kLanes = 32;

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

// ldmatrix.m8n8.x{N}{.trans}.b16: addr(lane) = (row, 16-bit column) that lane supplies; elem(row,
// col) reads the shared-memory tile. Lanes past 8 N supply nothing.
template <int N>
std::array<std::array<uint32_t, N>, kLanes> ldmatrix(const std::function<mma::FragPos(int)>& addr,
                                                      const std::function<uint16_t(int, int)>& elem, bool trans) {
  std::array<std::array<uint32_t, N>, kLanes> regs{};
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int j = 0; j < N; ++j) {
      uint32_t r = 0;
      for (int h = 0; h < 2; ++h) {
        const mma::LdmatrixSource s = mma::ldmatrix_source(lane, j, h, trans);
        const mma::FragPos row = addr(s.address_lane);
        r |= static_cast<uint32_t>(elem(row.row, row.col + s.element)) << (16 * h);
      }
      regs[lane][j] = r;
    }
  }
  return regs;
}

// mma.m16n8k16 bf16 x bf16 + f32 (computed in double: the emulation checks placement, not rounding).
using Acc = std::array<std::array<double, 4>, kLanes>;
inline void mma_m16n8k16(Acc& c, const std::array<std::array<uint32_t, 4>, kLanes>& a,
                         const std::array<std::array<uint32_t, 2>, kLanes>& b) {
  double A[16][16] = {}, B[16][8] = {};
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 8; ++i) {
      const mma::FragPos p = mma::m16n8k16_a(lane, i);
      A[p.row][p.col] = bf16_half(a[lane][i / 2], i % 2);
    }
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos p = mma::m16n8k16_b(lane, i);
      B[p.row][p.col] = bf16_half(b[lane][i / 2], i % 2);
    }
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos p = mma::m16n8_c(lane, i);
      for (int k = 0; k < 16; ++k) c[lane][i] += A[p.row][k] * B[k][p.col];
    }
  }
}
// mma.m16n8k8 bf16: A in registers 0-1, B in register 0.
inline void mma_m16n8k8(Acc& c, const std::array<std::array<uint32_t, 4>, kLanes>& a,
                        const std::array<std::array<uint32_t, 2>, kLanes>& b) {
  double A[16][8] = {}, B[8][8] = {};
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos p = mma::m16n8k8_a(lane, i);
      A[p.row][p.col] = bf16_half(a[lane][i / 2], i % 2);
    }
    for (int i = 0; i < 2; ++i) {
      const mma::FragPos p = mma::m16n8k8_b(lane, i);
      B[p.row][p.col] = bf16_half(b[lane][0], i);
    }
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos p = mma::m16n8_c(lane, i);
      for (int k = 0; k < 8; ++k) c[lane][i] += A[p.row][k] * B[k][p.col];
    }
  }
}

// mma.m16n8k32 s8 x s8 + s32.
using IAcc = std::array<std::array<int64_t, 4>, kLanes>;
inline void mma_m16n8k32_s8(IAcc& c, const std::array<std::array<uint32_t, 4>, kLanes>& a,
                            const std::array<std::array<uint32_t, 2>, kLanes>& b) {
  int A[16][32] = {}, B[32][8] = {};
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 16; ++i) {
      const mma::FragPos p = mma::m16n8k32_s8_a(lane, i);
      A[p.row][p.col] = static_cast<int8_t>(a[lane][i / 4] >> (8 * (i % 4)));
    }
    for (int i = 0; i < 8; ++i) {
      const mma::FragPos p = mma::m16n8k32_s8_b(lane, i);
      B[p.row][p.col] = static_cast<int8_t>(b[lane][i / 4] >> (8 * (i % 4)));
    }
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos p = mma::m16n8_c(lane, i);
      for (int k = 0; k < 32; ++k) c[lane][i] += A[p.row][k] * B[k][p.col];
    }
  }
}

// mma.m16n8k256 b1 .and.popc: C += popcount(A row AND B column).
inline void mma_m16n8k256_and_popc(IAcc& c, const std::array<std::array<uint32_t, 4>, kLanes>& a,
                                   const std::array<std::array<uint32_t, 2>, kLanes>& b) {
  int A[16][256] = {}, B[256][8] = {};
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 128; ++i) {
      const mma::FragPos p = mma::m16n8k256_b1_a(lane, i);
      A[p.row][p.col] = static_cast<int>((a[lane][i / 32] >> (i % 32)) & 1u);
    }
    for (int i = 0; i < 64; ++i) {
      const mma::FragPos p = mma::m16n8k256_b1_b(lane, i);
      B[p.row][p.col] = static_cast<int>((b[lane][i / 32] >> (i % 32)) & 1u);
    }
  }
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int i = 0; i < 4; ++i) {
      const mma::FragPos p = mma::m16n8_c(lane, i);
      for (int k = 0; k < 256; ++k) c[lane][i] += A[p.row][k] & B[k][p.col];
    }
  }
}

}  // namespace bitblock::kernels::testing
