#pragma once
// Patch-major im2col: a convolution of a [C, H, W] image with weights W [out, C*k*k] is the GEMM
// Y_p = P W^T with P [OH*OW, C*k*k], one row per output pixel, so the training kernels written
// for [batch, features] inputs (dense, block-sparse, CSR) apply with the output pixels of a group
// of samples as the batch. Square kernel, zero padding.
#include <cstdint>

#include "bitblock/common/host_device.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

struct PatchGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel = 1, stride = 1, padding = 0;
  BITBLOCK_HD int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  BITBLOCK_HD int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  BITBLOCK_HD int64_t patch_size() const { return channels * kernel * kernel; }  // columns of P
  BITBLOCK_HD int64_t out_pixels() const { return out_height() * out_width(); }  // rows of P per sample
};

// n images [C, H, W], one after another -> P with n * OH*OW rows of row stride ld (>= C*k*k):
// row (s * OH + oy) * OW + ox, column (c*k + ky)*k + kx holds image s at
// [c, oy*stride - pad + ky, ox*stride - pad + kx], 0 outside the image.
void image_to_patches(const float* images, int64_t n, const PatchGeometry& g, float* patches, int64_t ld);
// The adjoint: every pixel of the n images (overwritten) is the sum of the entries of P that read
// it, added in row order of P (so the result is exact to the reference's, whatever the threads).
void patches_to_image(const float* patches, int64_t ld, int64_t n, const PatchGeometry& g, float* images);

namespace reference {
void image_to_patches(const float* images, int64_t n, const PatchGeometry& g, float* patches, int64_t ld);
void patches_to_image(const float* patches, int64_t ld, int64_t n, const PatchGeometry& g, float* images);
}  // namespace reference

// One thread per patch entry / image pixel; each pixel gathers its entries in row order of P, the
// CPU's order: the same bits.
namespace cuda {
void image_to_patches(const float* images, int64_t n, const PatchGeometry& g, float* patches, int64_t ld,
                      cudaStream_t stream);
void patches_to_image(const float* patches, int64_t ld, int64_t n, const PatchGeometry& g, float* images,
                      cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
