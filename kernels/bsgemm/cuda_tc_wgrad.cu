// Tensor-core weight gradient of the kept blocks (SDDMM, cuda_tc.hpp): one CTA per unit of the
// schedule (tc_schedule.hpp) and batch split (several splits: partial sums summed in split order
// by a second kernel, no atomics), the unit's X and dY columns staged 32 batch rows at a time as
// bf16, each warp accumulating its items (m16n8k16 output tiles) over its batch rows in registers.
// The CPU emulation of this kernel is tests/kernels/test_tc_emulation.cpp: keep the two in step.
#include <algorithm>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/tc_schedule.hpp"
#include "common/cuda_launch.hpp"
#include "common/mma.cuh"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kItemsPerWarp = 16;

struct WgradArgs {
  const float* dY;
  int64_t M, lddy;
  const float* X;
  int64_t ldx;
  int64_t rows, cols;
  int block_rows, block_cols;
  const WgradUnit* units;
  const WgradItem* items;
  int xs_stride, ds_stride;  // staged row strides (bf16 elements)
  float* dW;
  float* partials;    // splits > 1: split s writes its partial sums at partials + s * elems
  int64_t elems;      // dW entries
  int splits;         // batch splits (blockIdx.y)
  bool vec_x, vec_d;  // 16-byte loads of X / dY rows
};

// Rows m0 .. m0 + 31 of columns first .. first + width of src (zero past the batch or `limit`
// columns) as bf16 into dst (kWgradRows x stride).
__device__ void stage_rows(const float* src, int64_t ld, int64_t M, int64_t m0, int64_t first, int width, int64_t limit,
                           bool vec, __nv_bfloat16* dst, int stride) {
  const int quads = width / 4;
  for (int idx = threadIdx.x; idx < kWgradRows * quads; idx += blockDim.x) {
    const int r = idx / quads;
    const int c = (idx - r * quads) * 4;
    const int64_t m = m0 + r, k = first + c;
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (m < M) {
      const float* p = src + m * ld + k;
      if (vec && k + 4 <= limit) {
        const float4 f = __ldg(reinterpret_cast<const float4*>(p));
        v[0] = f.x;
        v[1] = f.y;
        v[2] = f.z;
        v[3] = f.w;
      } else {
        for (int j = 0; j < 4; ++j) v[j] = k + j < limit ? __ldg(p + j) : 0.0f;
      }
    }
    const uint2 packed = {tc::bits_of(__floats2bfloat162_rn(v[0], v[1])), tc::bits_of(__floats2bfloat162_rn(v[2], v[3]))};
    *reinterpret_cast<uint2*>(dst + r * stride + c) = packed;
  }
}

__global__ void __launch_bounds__(256) tc_wgrad_kernel(const WgradArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  auto* xs = reinterpret_cast<__nv_bfloat16*>(smem);
  auto* ds = xs + kWgradRows * a.xs_stride;
  auto* cols = reinterpret_cast<int4*>(ds + kWgradRows * a.ds_stride);  // per item: X columns, dY column
  const WgradUnit u = a.units[blockIdx.x];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int first = u.item_begin + warp * kItemsPerWarp;
  const int n_items = max(0, min(kItemsPerWarp, u.item_end - first));
  for (int i = lane; i < n_items; i += 32) {
    const WgradItem& it = a.items[first + i];
    cols[warp * kItemsPerWarp + i] = make_int4(it.x_col[0], it.x_col[1], it.d_col, 0);
  }
  const int64_t k_first = int64_t{u.block_col_begin} * a.block_cols, n_first = int64_t{u.block_row_begin} * a.block_rows;
  const int x_width = (u.block_col_end - u.block_col_begin) * a.block_cols;
  const int d_width = (u.block_row_end - u.block_row_begin) * a.block_rows;
  const uint32_t xs_base = tc::smem_addr(xs), ds_base = tc::smem_addr(ds);
  float acc[kItemsPerWarp][4] = {};
  const int64_t m_end = wgrad_split_begin(a.M, a.splits, static_cast<int>(blockIdx.y) + 1);
  for (int64_t m0 = wgrad_split_begin(a.M, a.splits, static_cast<int>(blockIdx.y)); m0 < m_end; m0 += kWgradRows) {
    __syncthreads();  // the previous step's reads are done (and the item columns are written)
    stage_rows(a.X, a.ldx, m_end, m0, k_first, x_width, a.cols, a.vec_x, xs, a.xs_stride);
    stage_rows(a.dY, a.lddy, m_end, m0, n_first, d_width, a.rows, a.vec_d, ds, a.ds_stride);
    __syncthreads();
#pragma unroll
    for (int it = 0; it < kItemsPerWarp; ++it) {
      if (it >= n_items) break;
      const int4 c = cols[warp * kItemsPerWarp + it];
#pragma unroll
      for (int ks = 0; ks < kWgradRows / 16; ++ks) {
        const mma::FragPos pa = ldmatrix_pairs_address(lane, ks * 16, c.x, c.y);
        const mma::FragPos pb = ldmatrix_bt_address(lane, ks * 16, c.z);
        uint32_t afrag[4], bfrag[2];
        tc::ldmatrix_x4_trans(afrag, xs_base + 2u * static_cast<uint32_t>(pa.row * a.xs_stride + pa.col));
        tc::ldmatrix_x2_trans(bfrag, ds_base + 2u * static_cast<uint32_t>(pb.row * a.ds_stride + pb.col));
        tc::mma_bf16_m16n8k16(acc[it], afrag, bfrag[0], bfrag[1]);
      }
    }
  }
#pragma unroll
  for (int it = 0; it < kItemsPerWarp; ++it) {
    if (it >= n_items) break;
    const WgradItem item = a.items[first + it];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const WgradTarget t = wgrad_target(item, lane, i, a.block_cols, a.rows, a.cols);
      if (t.index < 0) continue;
      float* dst = a.splits == 1 ? a.dW : a.partials + blockIdx.y * a.elems;
      dst[t.index] = t.in_matrix ? acc[it][i] : 0.0f;
    }
  }
}

// dW = the splits' partial sums added in split order (every slice holds every entry).
__global__ void sum_splits_kernel(const float* __restrict__ partials, int64_t elems, int splits, float* __restrict__ dW) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < elems; i += int64_t{gridDim.x} * blockDim.x) {
    float sum = partials[i];
    for (int s = 1; s < splits; ++s) sum += partials[s * elems + i];
    dW[i] = sum;
  }
}

}  // namespace

void bsgemm_backward_weight_tc(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                               const DeviceBsr& W, float* dW, cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  if (!W.has_tiles()) fail_input("bsgemm_backward_weight_tc", "W has no tensor-core schedule (blocks must be multiples of 8)");
  if (W.wgrad.units.empty()) return;  // no kept blocks
  if (W.wgrad.items_per_warp != kItemsPerWarp) fail_input("bsgemm_backward_weight_tc", "schedule items per warp");
  WgradArgs a{};
  a.dY = dY;
  a.M = M;
  a.lddy = lddy;
  a.X = X;
  a.ldx = ldx;
  a.rows = l.rows;
  a.cols = l.cols;
  a.block_rows = l.block_rows;
  a.block_cols = l.block_cols;
  a.units = W.wgrad_units.get();
  a.items = W.wgrad_items.get();
  a.xs_stride = static_cast<int>(tc_stage_stride(W.wgrad.x_cols));
  a.ds_stride = static_cast<int>(tc_stage_stride(W.wgrad.d_cols));
  a.dW = dW;
  a.elems = l.kept_blocks() * l.block_elems();
  a.splits = wgrad_batch_splits(static_cast<int64_t>(W.wgrad.units.size()), M, device_limits().sm_count);
  // As many as the scratch slices allow (device_bsr_for_layout sized them for this layout).
  a.splits = static_cast<int>(std::min<int64_t>(a.splits, std::max<int64_t>(1, static_cast<int64_t>(W.wgrad_partials.size()) / a.elems)));
  a.partials = W.wgrad_partials.get();
  a.vec_x = ldx % 4 == 0 && reinterpret_cast<uintptr_t>(X) % 16 == 0;
  a.vec_d = lddy % 4 == 0 && reinterpret_cast<uintptr_t>(dY) % 16 == 0;
  const size_t smem = wgrad_smem_bytes(W.wgrad);
  if (smem > device_limits().smem_per_block) fail_input("bsgemm_backward_weight_tc", "staged rectangle does not fit");
  resident_ctas(reinterpret_cast<const void*>(tc_wgrad_kernel), W.wgrad.warps * 32, smem);  // raises the limit
  const dim3 grid(static_cast<unsigned>(W.wgrad.units.size()), static_cast<unsigned>(a.splits));
  tc_wgrad_kernel<<<grid, static_cast<unsigned>(W.wgrad.warps * 32), smem, stream>>>(a);
  CUDA_CHECK(cudaGetLastError());
  if (a.splits > 1) {
    const int64_t blocks = std::min<int64_t>((a.elems + 255) / 256, int64_t{65535} * 8);
    sum_splits_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(a.partials, a.elems, a.splits, dW);
    CUDA_CHECK(cudaGetLastError());
  }
}

}  // namespace bitblock::kernels::cuda
