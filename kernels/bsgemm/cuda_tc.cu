// Tensor-core forward and input-gradient products over k-bit packed kept blocks (cuda_tc.hpp).
// One kernel for both: the forward product walks block-rows (CSR) and reduces over the blocks'
// columns, the input gradient walks block-columns (CSC) and reduces over their rows, reading the
// transposed tile stream. The CPU emulation of this kernel is tests/kernels/test_tc_emulation.cpp:
// keep the two in step.
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

struct ProductArgs {
  const float* A;  // X (forward) or dY (input gradient), M x a_cols, leading dimension lda
  int64_t M, lda, a_cols;
  const int32_t* ptr;       // slot -> first list entry (CSR or CSC pointers)
  const int32_t* other;     // entry -> block-column (forward) or block-row (input gradient)
  const int32_t* block_id;  // entry -> kept block (input gradient only)
  const float* scales;      // row scales: of the outputs (forward) or of dY's columns (input gradient)
  const uint32_t* tiles;    // forward or transposed tile stream
  int bits, tiles_r, tiles_c;
  int depth;             // block extent along the reduction (block_cols or block_rows)
  int reduce_cols;       // staged columns: other slots * depth
  int stride;            // staged row stride in bf16 elements
  float* out;
  int64_t ldo, out_cols;
  TcProductSchedule s;
  bool vec_a, vec_out;  // 16-byte loads of A rows, 8-byte stores of output pairs
};

// The CTA's batch tile of A (times the column scales in the input gradient) as bf16, zero past the
// matrix: 4 columns per thread and step, coalesced along the rows.
template <bool kTransposed>
__device__ void stage_batch_tile(const ProductArgs& a, __nv_bfloat16* stage, int64_t m_base, int rows) {
  const int quads = a.reduce_cols / 4;
#pragma unroll 4
  for (int idx = threadIdx.x; idx < rows * quads; idx += blockDim.x) {
    const int r = idx / quads;
    const int c = (idx - r * quads) * 4;
    const int64_t m = m_base + r;
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (m < a.M) {
      const float* src = a.A + m * a.lda + c;
      if (a.vec_a && c + 4 <= a.a_cols) {
        const float4 f = __ldg(reinterpret_cast<const float4*>(src));
        v[0] = f.x;
        v[1] = f.y;
        v[2] = f.z;
        v[3] = f.w;
      } else {
        for (int j = 0; j < 4; ++j) v[j] = c + j < a.a_cols ? __ldg(src + j) : 0.0f;
      }
      if (kTransposed) {
        for (int j = 0; j < 4; ++j) v[j] = c + j < a.a_cols ? v[j] * __ldg(a.scales + c + j) : 0.0f;
      }
    }
    const uint2 packed = {tc::bits_of(__floats2bfloat162_rn(v[0], v[1])), tc::bits_of(__floats2bfloat162_rn(v[2], v[3]))};
    *reinterpret_cast<uint2*>(stage + static_cast<int64_t>(r) * a.stride + c) = packed;
  }
}

// One m16n8k16 (both halves of K) or, for a lone last reduction tile, m16n8k8 step of an item:
// A fragments by ldmatrix from the staged tile, B fragments expanded from the lanes' code fields.
template <int kMT, int kNT, bool kWide>
__device__ __forceinline__ void product_step(float (&acc)[kMT][kNT][4], uint32_t stage_base, int stride, int lane,
                                             int tiles, const uint32_t* code_tiles, const LaneField& field,
                                             const tc::CodePairOperand& operand, int per_out, int col0, int words0,
                                             int col1, int words1, bool pair) {
  uint32_t bfrag[kNT][2];
#pragma unroll
  for (int o = 0; o < kNT; ++o) {
    bfrag[o][0] = bfrag[o][1] = 0;
    if (o < tiles) {
      bfrag[o][0] = operand.expand<kWide>(read_lane_field(code_tiles + words0 + o * per_out, field));
      if (pair) bfrag[o][1] = operand.expand<kWide>(read_lane_field(code_tiles + words1 + o * per_out, field));
    }
  }
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt) {
    const mma::FragPos p = ldmatrix_a_address(lane, mt * 16, col0, col1);
    const uint32_t addr = stage_base + 2u * static_cast<uint32_t>(p.row * stride + p.col);
    if (pair) {
      uint32_t afrag[4];
      tc::ldmatrix_x4(afrag, addr);
#pragma unroll
      for (int o = 0; o < kNT; ++o) {
        if (o < tiles) tc::mma_bf16_m16n8k16(acc[mt][o], afrag, bfrag[o][0], bfrag[o][1]);
      }
    } else {
      uint32_t afrag[2];
      tc::ldmatrix_x2(afrag, addr);
#pragma unroll
      for (int o = 0; o < kNT; ++o) {
        if (o < tiles) tc::mma_bf16_m16n8k8(acc[mt][o], afrag[0], afrag[1], bfrag[o][0]);
      }
    }
  }
}

// kMT: 16-row MMA tiles per item (the CTA's batch tile is 16 kMT rows); kNT: output tiles per
// item; kWide: 8-bit codes (converted through float, see CodePairOperand).
template <bool kTransposed, int kMT, int kNT, bool kWide>
__global__ void __launch_bounds__(512, 1) tc_product_kernel(const ProductArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  auto* stage = reinterpret_cast<__nv_bfloat16*>(smem);
  const int64_t cta = blockIdx.x;
  const int64_t m_base = a.s.cta_batch_tile(cta) * (16 * kMT);
  stage_batch_tile<kTransposed>(a, stage, m_base, 16 * kMT);
  __syncthreads();

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const int tiles_in = a.depth / kTile, out_extent = a.s.out_tiles * kTile;
  const uint32_t stage_base = tc::smem_addr(stage);
  const tc::CodePairOperand operand(a.bits);
  const LaneField field = lane_field(lane, a.bits);
  const ProductTileWords tw = product_tile_words(a.tiles_r, a.tiles_c, a.bits, kTransposed);
  for (int64_t q = warp; q < a.s.items_per_cta(); q += warps) {
    const TcItem it = a.s.item(cta, q);
    if (it.tiles == 0) continue;
    float acc[kMT][kNT][4] = {};
    const int32_t e0 = a.ptr[it.slot];
    const int total = (a.ptr[it.slot + 1] - e0) * tiles_in;  // reduction tiles of the slot
    const int out_words = it.first_tile * tw.per_out;
    for (int window = 0; window < total; window += 32) {
      // Lane l holds reduction tile window + l: its first staged column and the first word of
      // its code tile (for the item's first output tile). Tiles pair up in order, two per MMA.
      const int n = min(32, total - window);
      int my_col = 0, my_words = 0;
      if (lane < n) {
        const int kq = window + lane, e = e0 + kq / tiles_in, t = kq % tiles_in;
        my_col = __ldg(a.other + e) * a.depth + t * kTile;
        const int block = kTransposed ? __ldg(a.block_id + e) : e;
        my_words = block * tw.per_block + out_words + t * tw.per_in;
        // Start fetching the codes into L1 now: the steps below read them lane by lane.
        asm volatile("prefetch.global.L1 [%0];\n" ::"l"(a.tiles + my_words));
      }
      for (int k = 0; k + 1 < n; k += 2) {
        product_step<kMT, kNT, kWide>(acc, stage_base, a.stride, lane, it.tiles, a.tiles, field, operand, tw.per_out,
                                      __shfl_sync(tc::kFullMask, my_col, k), __shfl_sync(tc::kFullMask, my_words, k),
                                      __shfl_sync(tc::kFullMask, my_col, k + 1),
                                      __shfl_sync(tc::kFullMask, my_words, k + 1), true);
      }
      if (n & 1) {
        const int col = __shfl_sync(tc::kFullMask, my_col, n - 1), words = __shfl_sync(tc::kFullMask, my_words, n - 1);
        product_step<kMT, kNT, kWide>(acc, stage_base, a.stride, lane, it.tiles, a.tiles, field, operand, tw.per_out,
                                      col, words, col, words, false);
      }
    }
    // C fragment: rows g and g + 8 of each MMA tile, output columns 2t and 2t + 1.
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int o = 0; o < kNT; ++o) {
      if (o >= it.tiles) continue;
      const int64_t n = it.slot * out_extent + (it.first_tile + o) * kTile + 2 * t;
      float s0 = 1.0f, s1 = 1.0f;
      if (!kTransposed) {
        s0 = n < a.out_cols ? __ldg(a.scales + n) : 0.0f;
        s1 = n + 1 < a.out_cols ? __ldg(a.scales + n + 1) : 0.0f;
      }
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int64_t m = m_base + mt * 16 + g + 8 * h;
          if (m >= a.M) continue;
          const float v0 = acc[mt][o][2 * h] * s0, v1 = acc[mt][o][2 * h + 1] * s1;
          float* dst = a.out + m * a.ldo + n;
          if (a.vec_out && n + 1 < a.out_cols) {
            *reinterpret_cast<float2*>(dst) = make_float2(v0, v1);
          } else {
            if (n < a.out_cols) dst[0] = v0;
            if (n + 1 < a.out_cols) dst[1] = v1;
          }
        }
      }
    }
  }
}

// Warps per CTA: 16 when one CTA fills a multiprocessor's shared memory (more warps to hide
// latency), else 8; the panels are sized for the CTAs that fit at once (tc_product_schedule).
template <bool kTransposed, int kMT, int kNT, bool kWide>
void launch(ProductArgs a, int64_t slots, int out_tiles, size_t smem, cudaStream_t stream) {
  auto kernel = tc_product_kernel<kTransposed, kMT, kNT, kWide>;
  const DeviceLimits& dev = device_limits();
  const int warps = 2 * smem > dev.smem_per_sm ? 16 : 8;
  const int resident = resident_ctas(reinterpret_cast<const void*>(kernel), warps * 32, smem);
  a.s = tc_product_schedule(a.M, slots, out_tiles, kMT, kNT, warps, dev.sm_count, resident);
  kernel<<<static_cast<unsigned>(a.s.ctas()), static_cast<unsigned>(warps * 32), smem, stream>>>(a);
  CUDA_CHECK(cudaGetLastError());
}

template <bool kTransposed, int kMT, bool kWide>
void launch_tiles(const ProductArgs& a, int64_t slots, int out_tiles, size_t smem, cudaStream_t stream) {
  if (out_tiles == 1) {
    launch<kTransposed, kMT, 1, kWide>(a, slots, out_tiles, smem, stream);
  } else {
    launch<kTransposed, kMT, 2, kWide>(a, slots, out_tiles, smem, stream);
  }
}

template <bool kTransposed, int kMT>
void launch_width(const ProductArgs& a, int64_t slots, int out_tiles, size_t smem, cudaStream_t stream) {
  if (a.bits == 8) {
    launch_tiles<kTransposed, kMT, true>(a, slots, out_tiles, smem, stream);
  } else {
    launch_tiles<kTransposed, kMT, false>(a, slots, out_tiles, smem, stream);
  }
}

int64_t reduce_cols(const BsrLayout& l, bool transposed) {
  return transposed ? l.num_block_rows() * l.block_rows : l.num_block_cols() * l.block_cols;
}

template <bool kTransposed>
void run_product(const float* A, int64_t M, int64_t lda, const DeviceBsr& W, float* out, int64_t ldo, int m_tiles,
                 cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  const char* where = kTransposed ? "bsgemm_backward_input_tc" : "bsgemm_forward_tc";
  if (!W.has_tiles()) fail_input(where, "W has no tile streams (blocks must be multiples of 8)");
  if (m_tiles != 1 && m_tiles != 2 && m_tiles != 4) fail_input(where, "m_tiles must be 1, 2 or 4");
  if (!tc_product_fits(l, m_tiles, kTransposed)) fail_input(where, "batch tile does not fit in shared memory");
  if (W.tiles_fwd.size() >= (size_t{1} << 31)) fail_input(where, "tile streams over 2^31 words");
  const int64_t slots = kTransposed ? l.num_block_cols() : l.num_block_rows();
  if (M == 0 || slots == 0) return;  // no outputs (a grid of 0 CTAs is an invalid launch)
  const size_t smem = tc_product_smem(l, m_tiles, kTransposed);
  ProductArgs a{};
  a.A = A;
  a.M = M;
  a.lda = lda;
  a.a_cols = kTransposed ? l.rows : l.cols;
  a.ptr = kTransposed ? W.block_col_ptr.get() : W.block_row_ptr.get();
  a.other = kTransposed ? W.col_block_row.get() : W.block_col_idx.get();
  a.block_id = kTransposed ? W.col_block_id.get() : nullptr;
  a.scales = W.row_scales.get();
  a.tiles = kTransposed ? W.tiles_bwd.get() : W.tiles_fwd.get();
  a.bits = W.bits;
  a.tiles_r = l.block_rows / kTile;
  a.tiles_c = l.block_cols / kTile;
  a.depth = kTransposed ? l.block_rows : l.block_cols;
  a.reduce_cols = static_cast<int>(reduce_cols(l, kTransposed));
  a.stride = static_cast<int>(tc_stage_stride(a.reduce_cols));
  a.out = out;
  a.ldo = ldo;
  a.out_cols = kTransposed ? l.cols : l.rows;
  const int out_tiles = (kTransposed ? l.block_cols : l.block_rows) / kTile;
  a.vec_a = lda % 4 == 0 && reinterpret_cast<uintptr_t>(A) % 16 == 0;
  a.vec_out = ldo % 2 == 0 && reinterpret_cast<uintptr_t>(out) % 8 == 0;
  switch (m_tiles) {
    case 1:
      launch_width<kTransposed, 1>(a, slots, out_tiles, smem, stream);
      break;
    case 2:
      launch_width<kTransposed, 2>(a, slots, out_tiles, smem, stream);
      break;
    default:
      launch_width<kTransposed, 4>(a, slots, out_tiles, smem, stream);
      break;
  }
}

}  // namespace

size_t tc_product_smem(const BsrLayout& layout, int m_tiles, bool transposed) {
  return static_cast<size_t>(16 * m_tiles) * static_cast<size_t>(tc_stage_stride(reduce_cols(layout, transposed))) *
         sizeof(__nv_bfloat16);
}

bool tc_product_fits(const BsrLayout& layout, int m_tiles, bool transposed) {
  return tc_blocks_supported(layout.block_rows, layout.block_cols) &&
         tc_product_smem(layout, m_tiles, transposed) <= device_limits().smem_per_block;
}

void bsgemm_forward_tc(const float* X, int64_t M, int64_t ldx, const DeviceBsr& W, float* Y, int64_t ldy,
                       int m_tiles, cudaStream_t stream) {
  run_product<false>(X, M, ldx, W, Y, ldy, m_tiles, stream);
}

void bsgemm_backward_input_tc(const float* dY, int64_t M, int64_t lddy, const DeviceBsr& W, float* dX,
                              int64_t lddx, int m_tiles, cudaStream_t stream) {
  run_product<true>(dY, M, lddy, W, dX, lddx, m_tiles, stream);
}

}  // namespace bitblock::kernels::cuda
