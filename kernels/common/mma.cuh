#pragma once
// Device wrappers of the warp-level instructions the tensor-core kernels use (inline PTX,
// sm_80 and later): ldmatrix, mma.sync (bf16, s8, b1 AND-popc), cp.async, and the bf16 operand of
// a k-bit code pair. Which lane holds what: bitblock/kernels/mma_fragments.hpp.
#include <cuda_bf16.h>

#include <cstdint>

#include "bitblock/kernels/kbit.hpp"

namespace bitblock::kernels::cuda::tc {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ uint32_t bits_of(__nv_bfloat162 v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  return u;
}
__device__ __forceinline__ __nv_bfloat162 bf16x2_of(uint32_t u) {
  __nv_bfloat162 v;
  memcpy(&v, &u, 4);
  return v;
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x2_trans(uint32_t (&r)[2], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}

// D = A B + D, bf16 operands, f32 accumulators.
__device__ __forceinline__ void mma_bf16_m16n8k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ void mma_bf16_m16n8k8(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t b0) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5}, {%6}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a0), "r"(a1), "r"(b0));
}
// D = A B + D, s8 operands, s32 accumulators.
__device__ __forceinline__ void mma_s8_m16n8k32(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
// D = popcount(A AND B) + D over 256-bit rows (Hopper keeps AND-popc; it has no XOR b1 MMA).
__device__ __forceinline__ void mma_b1_and_m16n8k256(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Asynchronous 8-byte global -> shared copy; bytes past src_bytes (0 or 8) are zero-filled.
__device__ __forceinline__ void cp_async_8(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

// The bf16x2 B operand of a k-bit code pair field (bsr_tiles.hpp): the expander's offset form minus
// its offset (exact), or for 8-bit codes (kWide) decode_code through float.
struct CodePairOperand {
  Bf16PairExpander expander;
  __nv_bfloat162 offset;
  __device__ explicit CodePairOperand(int code_bits)
      : expander(code_bits < 8 ? code_bits : 1), offset(__float2bfloat162_rn(static_cast<float>(expander.offset))) {}
  template <bool kWide>
  __device__ __forceinline__ uint32_t expand(uint32_t field) const {
    if (kWide) {
      return bits_of(__floats2bfloat162_rn(static_cast<float>(decode_code(field & 0xffu, 8)),
                                           static_cast<float>(decode_code(field >> 8, 8))));
    }
    return bits_of(__hsub2(bf16x2_of(expander.expand(field)), offset));
  }
};

// The thread-operations policy of the kernel bodies written for host and device
// (bitblock/kernels/tc_binary_body.hpp, tc_product_body.hpp, tc_wgrad_body.hpp): the real instructions above. The CPU tests instantiate
// the same bodies with an emulating policy (tests/kernels/simt_emulation.hpp).
struct DeviceThread {
  unsigned char* shared;  // the CTA's shared memory

  __device__ __forceinline__ int thread() const { return static_cast<int>(threadIdx.x); }
  __device__ __forceinline__ int64_t block_x() const { return blockIdx.x; }
  __device__ __forceinline__ int64_t block_y() const { return blockIdx.y; }
  __device__ __forceinline__ unsigned char* smem() const { return shared; }
  __device__ __forceinline__ int threads() const { return static_cast<int>(blockDim.x); }
  __device__ __forceinline__ void sync() const { __syncthreads(); }

  __device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* row) const {
    tc::ldmatrix_x4(r, smem_addr(row));
  }
  __device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], const void* row) const {
    tc::ldmatrix_x2(r, smem_addr(row));
  }
  __device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row) const {
    tc::ldmatrix_x4_trans(r, smem_addr(row));
  }
  __device__ __forceinline__ void ldmatrix_x2_trans(uint32_t (&r)[2], const void* row) const {
    tc::ldmatrix_x2_trans(r, smem_addr(row));
  }
  __device__ __forceinline__ void mma_bf16_m16n8k8(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t b0) const {
    tc::mma_bf16_m16n8k8(d, a0, a1, b0);
  }
  __device__ __forceinline__ void mma_bf16_m16n8k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                                    uint32_t b1) const {
    tc::mma_bf16_m16n8k16(d, a, b0, b1);
  }
  __device__ __forceinline__ void mma_s8_m16n8k32(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) const {
    tc::mma_s8_m16n8k32(d, a, b0, b1);
  }
  __device__ __forceinline__ void mma_b1_and_m16n8k256(int (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                                       uint32_t b1) const {
    tc::mma_b1_and_m16n8k256(d, a, b0, b1);
  }
  __device__ __forceinline__ int shfl_xor(int v, int lane_mask) const {
    return __shfl_xor_sync(kFullMask, v, lane_mask);
  }
  __device__ __forceinline__ int shfl(int v, int src_lane) const { return __shfl_sync(kFullMask, v, src_lane); }

  __device__ __forceinline__ void cp_async_8(void* dst, const void* src, int src_bytes) const {
    tc::cp_async_8(smem_addr(dst), src, src_bytes);
  }
  __device__ __forceinline__ void cp_async_commit() const { tc::cp_async_commit(); }
  template <int kPending>
  __device__ __forceinline__ void cp_async_wait() const {
    tc::cp_async_wait<kPending>();
  }

  template <typename V>
  __device__ __forceinline__ V load(const V* p) const {
    return __ldg(p);
  }
  __device__ __forceinline__ void load4(const float* p, float (&v)[4]) const {
    const float4 f = __ldg(reinterpret_cast<const float4*>(p));
    v[0] = f.x;
    v[1] = f.y;
    v[2] = f.z;
    v[3] = f.w;
  }
  __device__ __forceinline__ void store2(int32_t* p, int32_t v0, int32_t v1) const {
    *reinterpret_cast<int2*>(p) = make_int2(v0, v1);
  }
  __device__ __forceinline__ void store2(float* p, float v0, float v1) const {
    *reinterpret_cast<float2*>(p) = make_float2(v0, v1);
  }
  __device__ __forceinline__ void store_shared_16(void* p, int v0, int v1, int v2, int v3) const {
    *reinterpret_cast<int4*>(p) = make_int4(v0, v1, v2, v3);
  }
  __device__ __forceinline__ void load_shared_16(const void* p, int (&v)[4]) const {
    const int4 c = *reinterpret_cast<const int4*>(p);
    v[0] = c.x;
    v[1] = c.y;
    v[2] = c.z;
    v[3] = c.w;
  }
  __device__ __forceinline__ void store_shared_8(void* p, uint32_t lo, uint32_t hi) const {
    *reinterpret_cast<uint2*>(p) = make_uint2(lo, hi);
  }

  __device__ __forceinline__ uint32_t bf16x2(float lo, float hi) const {
    return bits_of(__floats2bfloat162_rn(lo, hi));
  }
  __device__ __forceinline__ uint32_t sign_pair_operand(uint32_t field) const {
    const CodePairOperand operand(1);
    return operand.expand<false>(field);
  }
  __device__ __forceinline__ int popc(uint32_t v) const { return __popc(v); }
  __device__ __forceinline__ void prefetch_l1(const void* p) const {
    asm volatile("prefetch.global.L1 [%0];\n" ::"l"(p));
  }
  __device__ __forceinline__ CodePairOperand code_pairs(int bits) const { return CodePairOperand(bits); }
};

}  // namespace bitblock::kernels::cuda::tc
