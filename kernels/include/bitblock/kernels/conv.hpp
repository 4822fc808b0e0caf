#pragma once
// Convolution as im2col + GEMM: the column matrix of a group of samples, its adjoint, and the
// moves between a GEMM's [channels, samples * pixels] result and per-sample [channels, pixels]
// maps. NCHW, square kernel, zero padding. Every output element is written by one thread, and
// col2im sums each pixel's terms in (ky, kx) order, so CPU and CUDA agree bit for bit.
#include <cstdint>

#include "bitblock/kernels/conv_geometry.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

// count images [C, H, W] (contiguous) -> columns [C*k*k, ld], ld >= count * OH*OW: row
// (c*k + ky)*k + kx, column i*OH*OW + oy*OW + ox holds image i's
// [c, oy*stride - pad + ky, ox*stride - pad + kx], or 0 outside the image. Other columns untouched.
void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld);
// The adjoint: each pixel of the count images = the sum of the column entries that read it, in
// (ky, kx) order (the images are overwritten).
void col2im(const float* cols, int64_t ld, int64_t count, const ConvGeometry& g, float* images);
// [channels, count * pixels] (row stride ld) -> count maps [channels, pixels], and back.
void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count, float* maps);
void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols, int64_t ld);

namespace reference {
void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld);
void col2im(const float* cols, int64_t ld, int64_t count, const ConvGeometry& g, float* images);
void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count, float* maps);
void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols, int64_t ld);
}  // namespace reference

namespace cuda {
void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld, cudaStream_t stream);
void col2im(const float* cols, int64_t ld, int64_t count, const ConvGeometry& g, float* images, cudaStream_t stream);
void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count, float* maps,
                     cudaStream_t stream);
void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols, int64_t ld,
                     cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
