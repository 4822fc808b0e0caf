#pragma once
// The bodies of the tensor-core binary GEMM kernels (kernels/bgemm/cuda_tc.cu), written once over
// a thread-operations policy (CUTLASS-style composition): the body is what one thread of a CTA
// runs, and the policy `th` supplies the thread's coordinates, the CTA barrier, shared memory, and
// the warp-level instructions and operand conversions. The CUDA kernels instantiate the bodies
// with the real instructions (tc::DeviceThread, kernels/common/mma.cuh); the CPU test instantiates
// the same bodies with a policy that runs every thread of a CTA as a fiber and computes each warp
// instruction from the PTX fragment tables (tests/kernels/simt_emulation.hpp), so a bug in these
// loops fails on the CPU.
//
// The policy, per thread as on the device:
//   int thread(); int64_t block_x(), block_y(); unsigned char* smem(); void sync()  (__syncthreads)
//   ldmatrix_x4(uint32_t (&r)[4], const void* shared_row)
//   mma_bf16_m16n8k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1)
//   mma_s8_m16n8k32 / mma_b1_and_m16n8k256(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1)
//   int shfl_xor(int v, int lane_mask); int shfl(int v, int src_lane)
//   cp_async_8(void* shared, const void* global, int src_bytes); cp_async_commit(); cp_async_wait<n>()
//   V load(const V* global) (read-only path); load4(const float* global16, float (&v)[4])
//   store2(int32_t* or float* global8, v0, v1); store_shared_8(void* shared8, uint32_t lo, uint32_t hi)
//   uint32_t bf16x2(float lo, float hi) (round to nearest even); uint32_t sign_pair_operand(uint32_t
//   field) (the bf16x2 B operand of a 1-bit code pair, kbit.hpp); int popc(uint32_t)
#include <cstdint>

#include "bitblock/kernels/pack.hpp"
#include "bitblock/kernels/tc_schedule.hpp"

// Loop unrolling for the device pass only (host compilers do not know the pragma).
#if defined(__CUDA_ARCH__)
#define BITBLOCK_UNROLL _Pragma("unroll")
#define BITBLOCK_UNROLL_2 _Pragma("unroll 2")
#else
#define BITBLOCK_UNROLL
#define BITBLOCK_UNROLL_2
#endif

namespace bitblock::kernels::tc_body {

constexpr int kBinThreads = 32 * kBinWarps;

// --- bits x bits -------------------------------------------------------------------------------
// 128 x 128 tiles of C per CTA; sign words staged 256 bits at a time through a 4-stage cp.async
// ring, then either the b1 AND-popc MMA (fragments by ldmatrix straight from the bit rows; row
// popcounts fold AND into XNOR) or the s8 MMA (each 4 bits expanded to 4 +-1 bytes in registers).

constexpr int kBinStages = 4;
constexpr int kBinWordsPerStage = 4;  // 256 bits
constexpr int kBinOperandBytes = kBinTile * kBinRowBytes;
constexpr int kBinStageBytes = 2 * kBinOperandBytes;  // A rows then B rows
constexpr int kBinSmemBytes = kBinStages * kBinStageBytes;

struct BinaryArgs {
  const uint64_t* A;
  int64_t M;
  const uint64_t* B;
  int64_t N, K;
  int32_t* C;
  int64_t ldc;
  bool vec_out;  // ldc even and C 8-byte aligned: pairs of outputs in one store
};

// Stage s of both operands into ring slot `slot`: 128 rows x 4 words each, zero past the matrix.
template <class T>
BITBLOCK_HD void load_bit_stage(const T& th, const BinaryArgs& p, int64_t words, int64_t m0, int64_t n0, int64_t s,
                                unsigned char* slot) {
  for (int idx = th.thread(); idx < 2 * kBinTile * kBinWordsPerStage; idx += kBinThreads) {
    const bool is_b = idx >= kBinTile * kBinWordsPerStage;
    const int j = is_b ? idx - kBinTile * kBinWordsPerStage : idx;
    const int row = j / kBinWordsPerStage, w = j % kBinWordsPerStage;
    const int64_t r = (is_b ? n0 : m0) + row, word = s * kBinWordsPerStage + w;
    const bool valid = r < (is_b ? p.N : p.M) && word < words;
    const uint64_t* src = (is_b ? p.B : p.A) + (valid ? r * words + word : 0);
    th.cp_async_8(slot + (is_b ? kBinOperandBytes : 0) + row * kBinRowBytes + w * 8, src, valid ? 8 : 0);
  }
}

template <bool kB1, class T>
BITBLOCK_HD void binary_tile(const T& th, const BinaryArgs& p) {
  unsigned char* const smem = th.smem();
  const int64_t words = sign_words(p.K), stages = (words + kBinWordsPerStage - 1) / kBinWordsPerStage;
  const int64_t m0 = th.block_x() * kBinTile, n0 = th.block_y() * kBinTile;
  const int lane = th.thread() & 31, warp = th.thread() >> 5, g = lane >> 2, t = lane & 3;
  const int wr = bin_warp_row(warp), wc = bin_warp_col(warp);
  int acc[4][4][4] = {};
  int pop_a[4][2] = {}, pop_b[4] = {};  // b1: this lane's share of row / column popcounts
  for (int s = 0; s < kBinStages - 1; ++s) {
    if (s < stages) load_bit_stage(th, p, words, m0, n0, s, smem + s * kBinStageBytes);
    th.cp_async_commit();
  }
  for (int64_t s = 0; s < stages; ++s) {
    th.template cp_async_wait<kBinStages - 2>();
    th.sync();  // stage s landed for every thread; slot (s - 1) % kBinStages is free again
    const int64_t next = s + kBinStages - 1;
    if (next < stages) load_bit_stage(th, p, words, m0, n0, next, smem + (next % kBinStages) * kBinStageBytes);
    th.cp_async_commit();
    const unsigned char* a_stage = smem + (s % kBinStages) * kBinStageBytes;
    const unsigned char* b_stage = a_stage + kBinOperandBytes;
    if constexpr (kB1) {
      uint32_t afrag[4][4], bfrag[4][2];
BITBLOCK_UNROLL
      for (int mt = 0; mt < 4; ++mt) {
        const mma::FragPos q = ldmatrix_a_address(lane, wr + mt * 16, 0, 8);
        th.ldmatrix_x4(afrag[mt], a_stage + q.row * kBinRowBytes + q.col * 2);
        pop_a[mt][0] += th.popc(afrag[mt][0]) + th.popc(afrag[mt][2]);  // row g
        pop_a[mt][1] += th.popc(afrag[mt][1]) + th.popc(afrag[mt][3]);  // row g + 8
      }
BITBLOCK_UNROLL
      for (int np = 0; np < 2; ++np) {
        const mma::FragPos q = ldmatrix_pairs_address(lane, wc + np * 16, 0, 8);
        uint32_t r[4];
        th.ldmatrix_x4(r, b_stage + q.row * kBinRowBytes + q.col * 2);
        bfrag[2 * np][0] = r[0];
        bfrag[2 * np][1] = r[1];
        bfrag[2 * np + 1][0] = r[2];
        bfrag[2 * np + 1][1] = r[3];
      }
BITBLOCK_UNROLL
      for (int nt = 0; nt < 4; ++nt) pop_b[nt] += th.popc(bfrag[nt][0]) + th.popc(bfrag[nt][1]);  // column g
BITBLOCK_UNROLL
      for (int mt = 0; mt < 4; ++mt) {
BITBLOCK_UNROLL
        for (int nt = 0; nt < 4; ++nt) th.mma_b1_and_m16n8k256(acc[mt][nt], afrag[mt], bfrag[nt][0], bfrag[nt][1]);
      }
    } else {
BITBLOCK_UNROLL_2
      for (int kw = 0; kw < 8; ++kw) {  // 32-bit words of the stage: one m16n8k32 step each
        uint32_t afrag[4][4], bfrag[4][2];
BITBLOCK_UNROLL
        for (int mt = 0; mt < 4; ++mt) {
          const uint32_t lo = *reinterpret_cast<const uint32_t*>(a_stage + (wr + mt * 16 + g) * kBinRowBytes + kw * 4);
          const uint32_t hi =
              *reinterpret_cast<const uint32_t*>(a_stage + (wr + mt * 16 + g + 8) * kBinRowBytes + kw * 4);
          afrag[mt][0] = sign_word_s8_operand(lo, t, 0);
          afrag[mt][1] = sign_word_s8_operand(hi, t, 0);
          afrag[mt][2] = sign_word_s8_operand(lo, t, 1);
          afrag[mt][3] = sign_word_s8_operand(hi, t, 1);
        }
BITBLOCK_UNROLL
        for (int nt = 0; nt < 4; ++nt) {
          const uint32_t w = *reinterpret_cast<const uint32_t*>(b_stage + (wc + nt * 8 + g) * kBinRowBytes + kw * 4);
          bfrag[nt][0] = sign_word_s8_operand(w, t, 0);
          bfrag[nt][1] = sign_word_s8_operand(w, t, 1);
        }
BITBLOCK_UNROLL
        for (int mt = 0; mt < 4; ++mt) {
BITBLOCK_UNROLL
          for (int nt = 0; nt < 4; ++nt) th.mma_s8_m16n8k32(acc[mt][nt], afrag[mt], bfrag[nt][0], bfrag[nt][1]);
        }
      }
    }
  }
  th.template cp_async_wait<0>();
  // Epilogue: lane (g, t) holds rows g, g + 8 and columns 2t, 2t + 1 of every MMA tile.
  int col_pop[4][2] = {};
  if constexpr (kB1) {
BITBLOCK_UNROLL
    for (int mt = 0; mt < 4; ++mt) {
      for (int h = 0; h < 2; ++h) {
        pop_a[mt][h] += th.shfl_xor(pop_a[mt][h], 1);
        pop_a[mt][h] += th.shfl_xor(pop_a[mt][h], 2);
      }
    }
BITBLOCK_UNROLL
    for (int nt = 0; nt < 4; ++nt) {
      pop_b[nt] += th.shfl_xor(pop_b[nt], 1);
      pop_b[nt] += th.shfl_xor(pop_b[nt], 2);
      col_pop[nt][0] = th.shfl(pop_b[nt], 4 * (2 * t));  // column 2t is lane group 2t's
      col_pop[nt][1] = th.shfl(pop_b[nt], 4 * (2 * t + 1));
    }
  }
  const auto padding = static_cast<int32_t>(stages * 256 - p.K);  // s8: zero bits count as (-1)(-1)
BITBLOCK_UNROLL
  for (int mt = 0; mt < 4; ++mt) {
BITBLOCK_UNROLL
    for (int nt = 0; nt < 4; ++nt) {
      const int64_t n = n0 + wc + nt * 8 + 2 * t;
BITBLOCK_UNROLL
      for (int h = 0; h < 2; ++h) {
        const int64_t m = m0 + wr + mt * 16 + g + 8 * h;
        if (m >= p.M) continue;
        int32_t v[2];
        for (int i = 0; i < 2; ++i) {
          v[i] = kB1 ? xnor_dot_from_and(p.K, pop_a[mt][h], col_pop[nt][i], acc[mt][nt][2 * h + i])
                     : acc[mt][nt][2 * h + i] - padding;
        }
        int32_t* dst = p.C + m * p.ldc + n;
        if (p.vec_out && n + 1 < p.N) {
          th.store2(dst, v[0], v[1]);
        } else {
          if (n < p.N) dst[0] = v[0];
          if (n + 1 < p.N) dst[1] = v[1];
        }
      }
    }
  }
}

// --- float x binary ----------------------------------------------------------------------------
// 128 x 128 tiles; X staged 32 columns at a time as bf16 (register double buffering), row stride
// 40 elements (80 bytes, an odd multiple of 16); W's sign bits of the stage as one 32-bit word per
// row, expanded to bf16 in registers; fp32 accumulation, the row scale applied once.

constexpr int kFbCols = 32, kFbStride = 40;
constexpr int kFbXBytes = kBinTile * kFbStride * 2, kFbBufferBytes = kFbXBytes + kBinTile * 4;
constexpr int kFbSmemBytes = 2 * kFbBufferBytes;

struct FloatBinaryArgs {
  const float* X;
  int64_t M, ldx;
  const uint64_t* W;
  int64_t N, K;
  const float* scales;  // null: 1
  float* Y;
  int64_t ldy;
  bool vec_x;    // ldx % 4 == 0 and X 16-byte aligned: quads of X in one load
  bool vec_out;  // ldy even and Y 8-byte aligned
};

struct FloatBinaryStage {
  float x[4][4];  // this thread's 4 quads of X
  uint32_t w;     // this thread's W word (threads 0-127)
};

template <class T>
BITBLOCK_HD void load_float_stage(const T& th, const FloatBinaryArgs& p, const uint32_t* W32, int64_t words32,
                                  int64_t m0, int64_t n0, int64_t k0, FloatBinaryStage& st) {
BITBLOCK_UNROLL
  for (int i = 0; i < 4; ++i) {
    const int idx = th.thread() + i * kBinThreads;
    const int row = idx / (kFbCols / 4), c = (idx % (kFbCols / 4)) * 4;
    const int64_t m = m0 + row, k = k0 + c;
    float* v = st.x[i];
    v[0] = v[1] = v[2] = v[3] = 0.0f;
    if (m < p.M) {
      const float* src = p.X + m * p.ldx + k;
      if (p.vec_x && k + 4 <= p.K) {
        th.load4(src, st.x[i]);
      } else {
        for (int j = 0; j < 4; ++j) v[j] = k + j < p.K ? th.load(src + j) : 0.0f;
      }
    }
  }
  st.w = 0;
  if (th.thread() < kBinTile) {
    const int64_t n = n0 + th.thread(), word = k0 / 32;
    if (n < p.N && word < words32) st.w = th.load(W32 + n * words32 + word);
  }
}

template <class T>
BITBLOCK_HD void store_float_stage(const T& th, const FloatBinaryStage& st, unsigned char* buffer) {
BITBLOCK_UNROLL
  for (int i = 0; i < 4; ++i) {
    const int idx = th.thread() + i * kBinThreads;
    const int row = idx / (kFbCols / 4), c = (idx % (kFbCols / 4)) * 4;
    th.store_shared_8(buffer + 2 * (row * kFbStride + c), th.bf16x2(st.x[i][0], st.x[i][1]),
                      th.bf16x2(st.x[i][2], st.x[i][3]));
  }
  if (th.thread() < kBinTile) reinterpret_cast<uint32_t*>(buffer + kFbXBytes)[th.thread()] = st.w;
}

template <class T>
BITBLOCK_HD void float_binary_tile(const T& th, const FloatBinaryArgs& p) {
  unsigned char* const smem = th.smem();
  const int64_t m0 = th.block_x() * kBinTile, n0 = th.block_y() * kBinTile;
  const int lane = th.thread() & 31, warp = th.thread() >> 5, g = lane >> 2, t = lane & 3;
  const int wr = bin_warp_row(warp), wc = bin_warp_col(warp);
  const auto* W32 = reinterpret_cast<const uint32_t*>(p.W);  // little-endian halves of the sign words
  const int64_t words32 = 2 * sign_words(p.K), stages = (p.K + kFbCols - 1) / kFbCols;
  float acc[4][4][4] = {};
  FloatBinaryStage st;
  load_float_stage(th, p, W32, words32, m0, n0, 0, st);
  store_float_stage(th, st, smem);
  th.sync();
  for (int64_t s = 0; s < stages; ++s) {
    unsigned char* buffer = smem + (s & 1) * kFbBufferBytes;
    if (s + 1 < stages) load_float_stage(th, p, W32, words32, m0, n0, (s + 1) * kFbCols, st);
    const auto* wbits = reinterpret_cast<const uint32_t*>(buffer + kFbXBytes);
BITBLOCK_UNROLL
    for (int ks = 0; ks < kFbCols / 16; ++ks) {
      uint32_t afrag[4][4], bfrag[4][2];
BITBLOCK_UNROLL
      for (int mt = 0; mt < 4; ++mt) {
        const mma::FragPos q = ldmatrix_a_address(lane, wr + mt * 16, ks * 16, ks * 16 + 8);
        th.ldmatrix_x4(afrag[mt], buffer + 2 * (q.row * kFbStride + q.col));
      }
BITBLOCK_UNROLL
      for (int nt = 0; nt < 4; ++nt) {
        const uint32_t w = wbits[wc + nt * 8 + g];
        bfrag[nt][0] = th.sign_pair_operand(sign_word_pair_field(w, ks, t, 0));
        bfrag[nt][1] = th.sign_pair_operand(sign_word_pair_field(w, ks, t, 1));
      }
BITBLOCK_UNROLL
      for (int mt = 0; mt < 4; ++mt) {
BITBLOCK_UNROLL
        for (int nt = 0; nt < 4; ++nt) th.mma_bf16_m16n8k16(acc[mt][nt], afrag[mt], bfrag[nt][0], bfrag[nt][1]);
      }
    }
    if (s + 1 < stages) store_float_stage(th, st, smem + ((s + 1) & 1) * kFbBufferBytes);
    th.sync();
  }
BITBLOCK_UNROLL
  for (int nt = 0; nt < 4; ++nt) {
    const int64_t n = n0 + wc + nt * 8 + 2 * t;
    const float s0 = n < p.N ? (p.scales ? th.load(p.scales + n) : 1.0f) : 0.0f;
    const float s1 = n + 1 < p.N ? (p.scales ? th.load(p.scales + n + 1) : 1.0f) : 0.0f;
BITBLOCK_UNROLL
    for (int mt = 0; mt < 4; ++mt) {
BITBLOCK_UNROLL
      for (int h = 0; h < 2; ++h) {
        const int64_t m = m0 + wr + mt * 16 + g + 8 * h;
        if (m >= p.M) continue;
        const float v0 = acc[mt][nt][2 * h] * s0, v1 = acc[mt][nt][2 * h + 1] * s1;
        float* dst = p.Y + m * p.ldy + n;
        if (p.vec_out && n + 1 < p.N) {
          th.store2(dst, v0, v1);
        } else {
          if (n < p.N) dst[0] = v0;
          if (n + 1 < p.N) dst[1] = v1;
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::tc_body
