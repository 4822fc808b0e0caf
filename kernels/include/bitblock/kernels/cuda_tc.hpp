#pragma once
// Tensor-core versions of the block-sparse and binary products: the semantics of the plain CUDA
// kernels (cuda.hpp) and of the CPU references (bsgemm.hpp, bgemm.hpp), run on mma.sync.
//
// Block-sparse (W's block sizes multiples of 8, tile streams present: DeviceBsr::has_tiles):
//  * forward Y = X Wd^T and input gradient dX = dY Wd: a CTA stages a batch tile of 16 * m_tiles
//    rows of X (dY times the row scales) in shared memory as bf16, once, and its warps walk the
//    kept-block lists of a panel of block-rows (block-columns) against it: every kept 8 x 8 tile
//    is the B operand of an m16n8k16 MMA (two tiles per MMA), expanded from its packed codes in
//    registers; fp32 accumulation over the whole list, the row scale applied once per output.
//  * weight gradient (SDDMM): rectangles of kept blocks, X and dY staged 32 batch rows at a time
//    as bf16, m16n8k16 over the batch, every kept weight written once (tc_schedule.hpp).
// Precision: one operand rounded to bf16 (8 significant bits), codes exact, fp32 accumulation:
// |error| <= 2^-8 sum |a w| per output (2^-7 sum |dY X| for the weight gradient, where both are
// rounded); tests/kernels/tc_reference.hpp derives it. bf16 rather than fp16: it keeps fp32's
// exponent range, so small gradients do not underflow.
//
// Binary: bits x bits exactly (int32), from sign words (pack.hpp), on the b1 AND-popc MMA
// (C = K - 2 pop(a) - 2 pop(b) + 4 pop(a & b): Hopper has no XOR b1 MMA) or on the s8 MMA with
// +-1 bytes; float x binary on the bf16 MMA (X rounded to bf16, +-1 exact, scale once).
#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>

#include <cstdint>

#include "bitblock/kernels/cuda.hpp"

namespace bitblock::kernels::cuda {

// Shared memory of one CTA of the forward (transposed = false) or input-gradient product for W's
// layout, and whether the device has it. m_tiles: 1, 2 or 4.
size_t tc_product_smem(const BsrLayout& layout, int m_tiles, bool transposed);
bool tc_product_fits(const BsrLayout& layout, int m_tiles, bool transposed);

// Throw InputError when W has no tile streams or the batch tile does not fit.
void bsgemm_forward_tc(const float* X, int64_t M, int64_t ldx, const DeviceBsr& W, float* Y, int64_t ldy,
                       int m_tiles, cudaStream_t stream);
void bsgemm_backward_input_tc(const float* dY, int64_t M, int64_t lddy, const DeviceBsr& W, float* dX,
                              int64_t lddx, int m_tiles, cudaStream_t stream);
void bsgemm_backward_weight_tc(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                               const DeviceBsr& W, float* dW, cudaStream_t stream);

void bgemm_binary_tc_b1(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                        int64_t ldc, cudaStream_t stream);
void bgemm_binary_tc_s8(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                        int64_t ldc, cudaStream_t stream);
void bgemm_float_binary_tc(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                           const float* row_scales, float* Y, int64_t ldy, cudaStream_t stream);

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
