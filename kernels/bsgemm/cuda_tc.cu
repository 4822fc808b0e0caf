// Tensor-core forward and input-gradient products over k-bit packed kept blocks (cuda_tc.hpp):
// launch and dispatch. The kernel's body is written once for host and device in
// bitblock/kernels/tc_product_body.hpp; tests/kernels/test_tc_emulation.cpp runs it on the CPU.
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/tc_product_body.hpp"
#include "bitblock/kernels/tc_schedule.hpp"
#include "common/cuda_launch.hpp"
#include "common/mma.cuh"

namespace bitblock::kernels::cuda {
namespace {

using tc_body::ProductArgs;

// The body (tc_product_body.hpp) on the device's instructions.
template <bool kTransposed, int kMT, int kNT, bool kWide>
__global__ void __launch_bounds__(512, 1) tc_product_kernel(const ProductArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  tc_body::product_tile<kTransposed, kMT, kNT, kWide>(tc::DeviceThread{smem}, a);
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
  const ProductArgs a = tc_body::product_args(
      l, W.bits, kTransposed, A, M, lda, kTransposed ? W.block_col_ptr.get() : W.block_row_ptr.get(),
      kTransposed ? W.col_block_row.get() : W.block_col_idx.get(), kTransposed ? W.col_block_id.get() : nullptr,
      W.row_scales.get(), kTransposed ? W.tiles_bwd.get() : W.tiles_fwd.get(), out, ldo);
  const int out_tiles = (kTransposed ? l.block_cols : l.block_rows) / kTile;
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
  const int64_t stride = tc_stage_stride(tc_body::product_reduce_cols(layout, transposed));
  return static_cast<size_t>(16 * m_tiles) * static_cast<size_t>(stride) * sizeof(__nv_bfloat16);
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
