#pragma once
// Which lane of a warp holds which element of the operands of the warp-level MMA instructions the
// tensor-core kernels use, and what ldmatrix delivers to which lane: the PTX ISA's tables
// ("Matrix Fragments for mma.m16n8k*", section 9.7.14.5, and "ldmatrix", 9.7.14.5.15) written as
// functions. The kernels place data by these rules; the CPU tests emulate one warp's ldmatrix and
// MMA from them and compare the product with a reference GEMM, so a lane or register mix-up fails
// on the CPU. Notation of the tables: g = lane / 4 (groupID), t = lane % 4 (threadID_in_group);
// element i of a lane's fragment is numbered low to high through its registers.
#include "bitblock/kernels/kbit.hpp"  // BITBLOCK_HD

namespace bitblock::kernels::mma {

struct FragPos {
  int row, col;
};

// mma.m16n8k16 with .bf16 / .f16 operands. A (16 x 16, row-major): 8 elements in 4 registers.
BITBLOCK_HD FragPos m16n8k16_a(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  return {g + (((i >> 1) & 1) ? 8 : 0), t * 2 + (i & 1) + (i >= 4 ? 8 : 0)};
}
// B (16 x 8, K x N): 4 elements in 2 registers.
BITBLOCK_HD FragPos m16n8k16_b(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  return {t * 2 + (i & 1) + (i >= 2 ? 8 : 0), g};
}
// mma.m16n8k8 with .bf16 / .f16: A (16 x 8): 4 elements in 2 registers; B (8 x 8): 2 in 1.
BITBLOCK_HD FragPos m16n8k8_a(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  return {g + (i >= 2 ? 8 : 0), t * 2 + (i & 1)};
}
BITBLOCK_HD FragPos m16n8k8_b(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  return {t * 2 + (i & 1), g};
}
// Accumulators C / D (16 x 8) of every m16n8kX shape, f32 or s32: 4 elements in 4 registers.
BITBLOCK_HD FragPos m16n8_c(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  return {g + (i >= 2 ? 8 : 0), t * 2 + (i & 1)};
}
// mma.m16n8k32 with .s8: A (16 x 32): 16 bytes in 4 registers; B (32 x 8): 8 bytes in 2.
BITBLOCK_HD FragPos m16n8k32_s8_a(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  const bool high_row = (i >= 4 && i < 8) || i >= 12;
  return {g + (high_row ? 8 : 0), t * 4 + (i & 3) + (i >= 8 ? 16 : 0)};
}
BITBLOCK_HD FragPos m16n8k32_s8_b(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  return {t * 4 + (i & 3) + (i >= 4 ? 16 : 0), g};
}
// mma.m16n8k256 with .b1 (bits low to high in each register): A (16 x 256): 128 bits in 4
// registers; B (256 x 8): 64 bits in 2.
BITBLOCK_HD FragPos m16n8k256_b1_a(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  const bool high_row = (i >= 32 && i < 64) || i >= 96;
  return {g + (high_row ? 8 : 0), t * 32 + (i & 31) + (i >= 64 ? 128 : 0)};
}
BITBLOCK_HD FragPos m16n8k256_b1_b(int lane, int i) {
  const int g = lane >> 2, t = lane & 3;
  return {t * 32 + (i & 31) + (i >= 32 ? 128 : 0), g};
}

// ldmatrix.sync.aligned.m8n8.{x1,x2,x4}{.trans}.b16: lane l supplies the shared-memory address of
// row l % 8 of matrix l / 8 (x1 reads lanes 0-7, x2 lanes 0-15, x4 all). Register j of lane L
// receives two 16-bit elements of matrix j: without .trans row L / 4, elements 2 (L % 4) and
// 2 (L % 4) + 1; with .trans element L / 4 of rows 2 (L % 4) and 2 (L % 4) + 1. ldmatrix_source
// says where half h (0 = low) of register j of lane L comes from: the lane whose address names the
// row, and the 16-bit element of that row.
struct LdmatrixSource {
  int address_lane, element;
};
BITBLOCK_HD LdmatrixSource ldmatrix_source(int lane, int j, int h, bool trans) {
  const int g = lane >> 2, t = lane & 3;
  if (trans) return {j * 8 + t * 2 + h, g};
  return {j * 8 + g, t * 2 + h};
}

}  // namespace bitblock::kernels::mma
