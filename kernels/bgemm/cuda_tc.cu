// Tensor-core binary GEMMs (cuda_tc.hpp). bits x bits: 128 x 128 tiles of C per CTA, sign words
// staged 256 bits at a time through a 4-stage cp.async ring, either on the b1 AND-popc MMA
// (fragments by ldmatrix straight from the bit rows; row popcounts fold AND into XNOR) or on the
// s8 MMA (each 4 bits expanded to 4 +-1 bytes in registers). Float x binary: 128 x 128 tiles,
// X staged 32 columns at a time as bf16 (register double buffering), signs expanded to bf16 in
// registers, fp32 accumulation, scale once. Warp layout and operand helpers: tc_schedule.hpp; the
// CPU emulation is tests/kernels/test_tc_emulation.cpp.
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/pack.hpp"
#include "bitblock/kernels/tc_schedule.hpp"
#include "common/mma.cuh"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kStages = 4;
constexpr int kWordsPerStage = 4;  // 256 bits
constexpr int kOperandBytes = kBinTile * kBinRowBytes;
constexpr int kStageBytes = 2 * kOperandBytes;  // A rows then B rows

enum class BinaryMma { B1And, S8 };

// Stage s of both operands into ring slot `slot`: 128 rows x 4 words each, zero past the matrix.
__device__ void load_bit_stage(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t words, int64_t m0,
                               int64_t n0, int64_t s, uint32_t slot_base) {
  for (int idx = threadIdx.x; idx < 2 * kBinTile * kWordsPerStage; idx += blockDim.x) {
    const bool is_b = idx >= kBinTile * kWordsPerStage;
    const int j = is_b ? idx - kBinTile * kWordsPerStage : idx;
    const int row = j / kWordsPerStage, w = j % kWordsPerStage;
    const int64_t r = (is_b ? n0 : m0) + row, word = s * kWordsPerStage + w;
    const bool valid = r < (is_b ? N : M) && word < words;
    const uint64_t* src = (is_b ? B : A) + (valid ? r * words + word : 0);
    tc::cp_async_8(slot_base + (is_b ? kOperandBytes : 0) + row * kBinRowBytes + w * 8, src, valid ? 8 : 0);
  }
}

template <BinaryMma kMma>
__global__ void __launch_bounds__(256) tc_binary_kernel(const uint64_t* __restrict__ A, int64_t M,
                                                        const uint64_t* __restrict__ B, int64_t N, int64_t K,
                                                        int32_t* __restrict__ C, int64_t ldc, bool vec_out) {
  extern __shared__ __align__(16) unsigned char smem[];
  const uint32_t base = tc::smem_addr(smem);
  const int64_t words = sign_words(K), stages = (words + kWordsPerStage - 1) / kWordsPerStage;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kBinTile, n0 = static_cast<int64_t>(blockIdx.y) * kBinTile;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int wr = bin_warp_row(warp), wc = bin_warp_col(warp);
  int acc[4][4][4] = {};
  int pop_a[4][2] = {}, pop_b[4] = {};  // b1: this lane's share of row / column popcounts
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < stages) load_bit_stage(A, M, B, N, words, m0, n0, s, base + s * kStageBytes);
    tc::cp_async_commit();
  }
  for (int64_t s = 0; s < stages; ++s) {
    tc::cp_async_wait<kStages - 2>();
    __syncthreads();  // stage s landed for every thread; slot (s - 1) % kStages is free again
    const int64_t next = s + kStages - 1;
    if (next < stages) load_bit_stage(A, M, B, N, words, m0, n0, next, base + (next % kStages) * kStageBytes);
    tc::cp_async_commit();
    const uint32_t a_base = base + (s % kStages) * kStageBytes, b_base = a_base + kOperandBytes;
    if constexpr (kMma == BinaryMma::B1And) {
      uint32_t afrag[4][4], bfrag[4][2];
#pragma unroll
      for (int mt = 0; mt < 4; ++mt) {
        const mma::FragPos p = ldmatrix_a_address(lane, wr + mt * 16, 0, 8);
        tc::ldmatrix_x4(afrag[mt], a_base + p.row * kBinRowBytes + p.col * 2);
        pop_a[mt][0] += __popc(afrag[mt][0]) + __popc(afrag[mt][2]);  // row g
        pop_a[mt][1] += __popc(afrag[mt][1]) + __popc(afrag[mt][3]);  // row g + 8
      }
#pragma unroll
      for (int np = 0; np < 2; ++np) {
        const mma::FragPos p = ldmatrix_pairs_address(lane, wc + np * 16, 0, 8);
        uint32_t r[4];
        tc::ldmatrix_x4(r, b_base + p.row * kBinRowBytes + p.col * 2);
        bfrag[2 * np][0] = r[0];
        bfrag[2 * np][1] = r[1];
        bfrag[2 * np + 1][0] = r[2];
        bfrag[2 * np + 1][1] = r[3];
      }
#pragma unroll
      for (int nt = 0; nt < 4; ++nt) pop_b[nt] += __popc(bfrag[nt][0]) + __popc(bfrag[nt][1]);  // column g
#pragma unroll
      for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) tc::mma_b1_and_m16n8k256(acc[mt][nt], afrag[mt], bfrag[nt][0], bfrag[nt][1]);
      }
    } else {
      const auto* bytes = smem + (s % kStages) * kStageBytes;
#pragma unroll 2
      for (int kw = 0; kw < 8; ++kw) {  // 32-bit words of the stage: one m16n8k32 step each
        uint32_t afrag[4][4], bfrag[4][2];
#pragma unroll
        for (int mt = 0; mt < 4; ++mt) {
          const uint32_t lo = *reinterpret_cast<const uint32_t*>(bytes + (wr + mt * 16 + g) * kBinRowBytes + kw * 4);
          const uint32_t hi = *reinterpret_cast<const uint32_t*>(bytes + (wr + mt * 16 + g + 8) * kBinRowBytes + kw * 4);
          afrag[mt][0] = sign_word_s8_operand(lo, t, 0);
          afrag[mt][1] = sign_word_s8_operand(hi, t, 0);
          afrag[mt][2] = sign_word_s8_operand(lo, t, 1);
          afrag[mt][3] = sign_word_s8_operand(hi, t, 1);
        }
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) {
          const uint32_t w =
              *reinterpret_cast<const uint32_t*>(bytes + kOperandBytes + (wc + nt * 8 + g) * kBinRowBytes + kw * 4);
          bfrag[nt][0] = sign_word_s8_operand(w, t, 0);
          bfrag[nt][1] = sign_word_s8_operand(w, t, 1);
        }
#pragma unroll
        for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
          for (int nt = 0; nt < 4; ++nt) tc::mma_s8_m16n8k32(acc[mt][nt], afrag[mt], bfrag[nt][0], bfrag[nt][1]);
        }
      }
    }
  }
  tc::cp_async_wait<0>();
  // Epilogue: lane (g, t) holds rows g, g + 8 and columns 2t, 2t + 1 of every MMA tile.
  int col_pop[4][2] = {};
  if constexpr (kMma == BinaryMma::B1And) {
#pragma unroll
    for (int mt = 0; mt < 4; ++mt) {
      for (int h = 0; h < 2; ++h) {
        pop_a[mt][h] += __shfl_xor_sync(tc::kFullMask, pop_a[mt][h], 1);
        pop_a[mt][h] += __shfl_xor_sync(tc::kFullMask, pop_a[mt][h], 2);
      }
    }
#pragma unroll
    for (int nt = 0; nt < 4; ++nt) {
      pop_b[nt] += __shfl_xor_sync(tc::kFullMask, pop_b[nt], 1);
      pop_b[nt] += __shfl_xor_sync(tc::kFullMask, pop_b[nt], 2);
      col_pop[nt][0] = __shfl_sync(tc::kFullMask, pop_b[nt], 4 * (2 * t));  // column 2t is lane group 2t's
      col_pop[nt][1] = __shfl_sync(tc::kFullMask, pop_b[nt], 4 * (2 * t + 1));
    }
  }
  const int32_t padding = static_cast<int32_t>(stages * 256 - K);  // s8: zero bits count as (-1)(-1)
#pragma unroll
  for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
    for (int nt = 0; nt < 4; ++nt) {
      const int64_t n = n0 + wc + nt * 8 + 2 * t;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t m = m0 + wr + mt * 16 + g + 8 * h;
        if (m >= M) continue;
        int32_t v[2];
        for (int i = 0; i < 2; ++i) {
          v[i] = kMma == BinaryMma::B1And ? xnor_dot_from_and(K, pop_a[mt][h], col_pop[nt][i], acc[mt][nt][2 * h + i])
                                           : acc[mt][nt][2 * h + i] - padding;
        }
        int32_t* dst = C + m * ldc + n;
        if (vec_out && n + 1 < N) {
          *reinterpret_cast<int2*>(dst) = make_int2(v[0], v[1]);
        } else {
          if (n < N) dst[0] = v[0];
          if (n + 1 < N) dst[1] = v[1];
        }
      }
    }
  }
}

// Float x binary. X rows staged as bf16, 32 columns per stage, row stride 40 elements (80 bytes,
// an odd multiple of 16); W's sign bits of the stage as one 32-bit word per row.
constexpr int kFbCols = 32, kFbStride = 40;
constexpr int kFbXBytes = kBinTile * kFbStride * 2, kFbBufferBytes = kFbXBytes + kBinTile * 4;

struct FloatBinaryStage {
  float4 x[4];  // this thread's 4 quads of X
  uint32_t w;   // this thread's W word (threads 0-127)
};

__device__ void load_float_stage(const float* X, int64_t M, int64_t ldx, int64_t K, const uint32_t* W32,
                                 int64_t N, int64_t words32, int64_t m0, int64_t n0, int64_t k0, bool vec,
                                 FloatBinaryStage& st) {
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int idx = threadIdx.x + i * 256;
    const int row = idx / (kFbCols / 4), c = (idx % (kFbCols / 4)) * 4;
    const int64_t m = m0 + row, k = k0 + c;
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (m < M) {
      const float* src = X + m * ldx + k;
      if (vec && k + 4 <= K) {
        const float4 f = __ldg(reinterpret_cast<const float4*>(src));
        v[0] = f.x;
        v[1] = f.y;
        v[2] = f.z;
        v[3] = f.w;
      } else {
        for (int j = 0; j < 4; ++j) v[j] = k + j < K ? __ldg(src + j) : 0.0f;
      }
    }
    st.x[i] = make_float4(v[0], v[1], v[2], v[3]);
  }
  st.w = 0;
  if (threadIdx.x < kBinTile) {
    const int64_t n = n0 + threadIdx.x, word = k0 / 32;
    if (n < N && word < words32) st.w = __ldg(W32 + n * words32 + word);
  }
}

__device__ void store_float_stage(const FloatBinaryStage& st, unsigned char* buffer) {
  auto* xs = reinterpret_cast<__nv_bfloat16*>(buffer);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int idx = threadIdx.x + i * 256;
    const int row = idx / (kFbCols / 4), c = (idx % (kFbCols / 4)) * 4;
    const uint2 packed = {tc::bits_of(__floats2bfloat162_rn(st.x[i].x, st.x[i].y)),
                          tc::bits_of(__floats2bfloat162_rn(st.x[i].z, st.x[i].w))};
    *reinterpret_cast<uint2*>(xs + row * kFbStride + c) = packed;
  }
  if (threadIdx.x < kBinTile) reinterpret_cast<uint32_t*>(buffer + kFbXBytes)[threadIdx.x] = st.w;
}

__global__ void __launch_bounds__(256) tc_float_binary_kernel(const float* __restrict__ X, int64_t M, int64_t ldx,
                                                              const uint64_t* __restrict__ W, int64_t N, int64_t K,
                                                              const float* __restrict__ scales, float* __restrict__ Y,
                                                              int64_t ldy, bool vec_x, bool vec_out) {
  __shared__ __align__(16) unsigned char smem[2 * kFbBufferBytes];
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kBinTile, n0 = static_cast<int64_t>(blockIdx.y) * kBinTile;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int wr = bin_warp_row(warp), wc = bin_warp_col(warp);
  const auto* W32 = reinterpret_cast<const uint32_t*>(W);  // little-endian halves of the sign words
  const int64_t words32 = 2 * sign_words(K), stages = (K + kFbCols - 1) / kFbCols;
  const tc::CodePairOperand operand(1);
  float acc[4][4][4] = {};
  FloatBinaryStage st;
  load_float_stage(X, M, ldx, K, W32, N, words32, m0, n0, 0, vec_x, st);
  store_float_stage(st, smem);
  __syncthreads();
  for (int64_t s = 0; s < stages; ++s) {
    unsigned char* buffer = smem + (s & 1) * kFbBufferBytes;
    if (s + 1 < stages) load_float_stage(X, M, ldx, K, W32, N, words32, m0, n0, (s + 1) * kFbCols, vec_x, st);
    const uint32_t x_base = tc::smem_addr(buffer);
    const auto* wbits = reinterpret_cast<const uint32_t*>(buffer + kFbXBytes);
#pragma unroll
    for (int ks = 0; ks < kFbCols / 16; ++ks) {
      uint32_t afrag[4][4], bfrag[4][2];
#pragma unroll
      for (int mt = 0; mt < 4; ++mt) {
        const mma::FragPos p = ldmatrix_a_address(lane, wr + mt * 16, ks * 16, ks * 16 + 8);
        tc::ldmatrix_x4(afrag[mt], x_base + 2u * static_cast<uint32_t>(p.row * kFbStride + p.col));
      }
#pragma unroll
      for (int nt = 0; nt < 4; ++nt) {
        const uint32_t w = wbits[wc + nt * 8 + g];
        bfrag[nt][0] = operand.expand<false>(sign_word_pair_field(w, ks, t, 0));
        bfrag[nt][1] = operand.expand<false>(sign_word_pair_field(w, ks, t, 1));
      }
#pragma unroll
      for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) tc::mma_bf16_m16n8k16(acc[mt][nt], afrag[mt], bfrag[nt][0], bfrag[nt][1]);
      }
    }
    if (s + 1 < stages) store_float_stage(st, smem + ((s + 1) & 1) * kFbBufferBytes);
    __syncthreads();
  }
#pragma unroll
  for (int nt = 0; nt < 4; ++nt) {
    const int64_t n = n0 + wc + nt * 8 + 2 * t;
    const float s0 = n < N ? (scales ? __ldg(scales + n) : 1.0f) : 0.0f;
    const float s1 = n + 1 < N ? (scales ? __ldg(scales + n + 1) : 1.0f) : 0.0f;
#pragma unroll
    for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t m = m0 + wr + mt * 16 + g + 8 * h;
        if (m >= M) continue;
        const float v0 = acc[mt][nt][2 * h] * s0, v1 = acc[mt][nt][2 * h + 1] * s1;
        float* dst = Y + m * ldy + n;
        if (vec_out && n + 1 < N) {
          *reinterpret_cast<float2*>(dst) = make_float2(v0, v1);
        } else {
          if (n < N) dst[0] = v0;
          if (n + 1 < N) dst[1] = v1;
        }
      }
    }
  }
}

// M (the batch, unbounded) on gridDim.x, which takes 2^31 - 1 tiles; N on gridDim.y (65535).
dim3 grid_for(int64_t M, int64_t N) {
  const int64_t n_tiles = (N + kBinTile - 1) / kBinTile;
  if (n_tiles > 65535) fail_input("bgemm_tc", "N = " + std::to_string(N) + " is over 65535 tiles of 128");
  return dim3(static_cast<unsigned>((M + kBinTile - 1) / kBinTile), static_cast<unsigned>(n_tiles));
}

template <BinaryMma kMma>
void run_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc,
                cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  const bool vec_out = ldc % 2 == 0 && reinterpret_cast<uintptr_t>(C) % 8 == 0;
  tc_binary_kernel<kMma><<<grid_for(M, N), 256, kStages * kStageBytes, stream>>>(A, M, B, N, K, C, ldc, vec_out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void bgemm_binary_tc_b1(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                        int64_t ldc, cudaStream_t stream) {
  run_binary<BinaryMma::B1And>(A, M, B, N, K, C, ldc, stream);
}

void bgemm_binary_tc_s8(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                        int64_t ldc, cudaStream_t stream) {
  run_binary<BinaryMma::S8>(A, M, B, N, K, C, ldc, stream);
}

void bgemm_float_binary_tc(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                           const float* row_scales, float* Y, int64_t ldy, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  const bool vec_x = ldx % 4 == 0 && reinterpret_cast<uintptr_t>(X) % 16 == 0;
  const bool vec_out = ldy % 2 == 0 && reinterpret_cast<uintptr_t>(Y) % 8 == 0;
  tc_float_binary_kernel<<<grid_for(M, N), 256, 0, stream>>>(X, M, ldx, W, N, K, row_scales, Y, ldy, vec_x, vec_out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
