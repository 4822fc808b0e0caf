// Tensor-core weight gradient of the kept blocks (SDDMM, cuda_tc.hpp): one CTA per unit of the
// schedule (tc_schedule.hpp) and batch split (several splits: partial sums summed in split order
// by a second kernel, no atomics), the unit's X and dY columns staged 32 batch rows at a time as
// bf16, each warp accumulating its items (m16n8k16 output tiles) over its batch rows in registers.
// The kernel's body is written once for host and device in bitblock/kernels/tc_wgrad_body.hpp;
// tests/kernels/test_tc_emulation.cpp runs it on the CPU.
#include <algorithm>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/tc_schedule.hpp"
#include "bitblock/kernels/tc_wgrad_body.hpp"
#include "common/cuda_launch.hpp"
#include "common/mma.cuh"

namespace bitblock::kernels::cuda {
namespace {

using tc_body::WgradArgs;

// The body (tc_wgrad_body.hpp) on the device's instructions.
__global__ void __launch_bounds__(256) tc_wgrad_kernel(const WgradArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  tc_body::wgrad_tile(tc::DeviceThread{smem}, a);
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
  if (W.wgrad.items_per_warp != tc_body::kWgradItemsPerWarp) {
    fail_input("bsgemm_backward_weight_tc", "schedule items per warp");
  }
  const int64_t elems = l.kept_blocks() * l.block_elems();
  int splits = wgrad_batch_splits(static_cast<int64_t>(W.wgrad.units.size()), M, device_limits().sm_count);
  // As many as the scratch slices allow (device_bsr_for_layout sized them for this layout).
  const int64_t slices = std::max<int64_t>(1, static_cast<int64_t>(W.wgrad_partials.size()) / elems);
  splits = static_cast<int>(std::min<int64_t>(splits, slices));
  const WgradArgs a = tc_body::wgrad_args(l, W.wgrad, dY, M, lddy, X, ldx, W.wgrad_units.get(), W.wgrad_items.get(), dW,
                                          W.wgrad_partials.get(), splits);
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
