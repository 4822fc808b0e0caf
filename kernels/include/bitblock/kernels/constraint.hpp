#pragma once
// The weight constraint's per-step work, W_eff = Q_k(M (.) W) forward and the straight-through
// gradient backward (docs/constraints.md), on a dense rows x cols matrix with a 0/1 mask, or on
// kept blocks stored compactly in the order of a block layout (element (r, c) of kept block b at
// (b * block_rows + r) * block_cols + c; ragged-edge positions unused and written 0).
//  * Row statistics: binary -> stat = sum |w| over kept weights (double, four interleaved column
//    lanes combined as (l0 + l1) + (l2 + l3)), count = kept weights; k bits -> stat = max |w|.
//  * Scales from the statistics (kernels/kbit.hpp's limits): binary mean, k-bit max / limit;
//    per row, or one per layer (rows combined in row order); rows without kept weights -> 0.
//  * Quantize with kbit.hpp's quantize_code; masked weights give 0; bits 32 copies kept weights.
//  * Backward: grad_latent = grad_eff where kept and |w| <= clip (binary only; k-bit and float
//    pass everywhere kept), else 0. The block version adds into grad_latent.
//  * Clip (after the optimizer step, binary only): w = clamp(w, -clip, clip).
// The CPU versions are the training path's loops (deterministic for any thread count). The CUDA
// versions give the same bits for everything but binary sums: one warp per row, a fixed lane
// assignment and shuffle tree (deterministic; max, counts, codes and scales of k-bit weights are
// exact, so k-bit W_eff equals the CPU's bit for bit).
#include <cstdint>

#include "bitblock/kernels/block_layout.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                           double* stat, int64_t* count);
void weight_row_statistics_blocks(const BlockLayoutView& layout, const float* latent, int bits, double* stat,
                                  int64_t* count);
// scales: rows values (per_row) or 1.
void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count, float* scales);
void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                     const float* scales, bool per_row, float* effective);
void weight_quantize_blocks(const BlockLayoutView& layout, const float* latent, int bits, const float* scales,
                            bool per_row, float* effective);
// clip: the binary window, or infinity for k-bit and float weights.
void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                     float* grad_latent);
void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                            float* grad_latent);
void weight_clip(int64_t n, float clip, float* latent);

namespace reference {
void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                           double* stat, int64_t* count);
void weight_row_statistics_blocks(const BlockLayoutView& layout, const float* latent, int bits, double* stat,
                                  int64_t* count);
void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count, float* scales);
void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                     const float* scales, bool per_row, float* effective);
void weight_quantize_blocks(const BlockLayoutView& layout, const float* latent, int bits, const float* scales,
                            bool per_row, float* effective);
void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                     float* grad_latent);
void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                            float* grad_latent);
void weight_clip(int64_t n, float clip, float* latent);
}  // namespace reference

namespace cuda {
// The layout's arrays, block_row_of included, in device memory.
void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                           double* stat, int64_t* count, cudaStream_t stream);
void weight_row_statistics_blocks(const BlockLayoutView& layout, const float* latent, int bits, double* stat,
                                  int64_t* count, cudaStream_t stream);
void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count, float* scales,
                   cudaStream_t stream);
void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                     const float* scales, bool per_row, float* effective, cudaStream_t stream);
void weight_quantize_blocks(const BlockLayoutView& layout, const float* latent, int bits, const float* scales,
                            bool per_row, float* effective, cudaStream_t stream);
void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                     float* grad_latent, cudaStream_t stream);
void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                            float* grad_latent, cudaStream_t stream);
void weight_clip(int64_t n, float clip, float* latent, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
