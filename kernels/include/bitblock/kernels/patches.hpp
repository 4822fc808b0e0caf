#pragma once
// Patch-major im2col: a convolution of a [C, H, W] image with weights W [out, C*k*k] is the GEMM
// Y_p = P W^T with P [OH*OW, C*k*k], one row per output pixel, so the training kernels written
// for [batch, features] inputs (dense, block-sparse, CSR) apply with the output pixels of a group
// of samples as the batch. Square kernel, zero padding.
#include <cstdint>

#include "bitblock/kernels/conv_geometry.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

// Patch-row floats of one CPU convolution group (1 MiB: a group's patch rows, the products'
// outputs and the transposes stay in L2). The CPU loops below split a group across threads.
constexpr int64_t kCpuPatchGroupFloats = int64_t{1} << 18;

// n images [C, H, W], one after another -> P with n * OH*OW rows of row stride ld (>= C*k*k):
// row (s * OH + oy) * OW + ox, column (c*k + ky)*k + kx holds image s at
// [c, oy*stride - pad + ky, ox*stride - pad + kx], 0 outside the image.
void image_to_patches(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld);
// The same for integer codes (model/'s im2col).
void image_to_patches(const int16_t* images, int64_t n, const ConvGeometry& g, int16_t* patches, int64_t ld);
// The adjoint: every pixel of the n images (overwritten) is the sum of the entries of P that read
// it, added in row order of P (so the result is exact to the reference's, whatever the threads).
void patches_to_image(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images);

namespace reference {
// The plain loop over ConvGeometry::source, for any element type: the reference of both
// image_to_patches overloads.
template <typename T>
void patches_of(const T* images, int64_t n, const ConvGeometry& g, T* patches, int64_t ld) {
  const int64_t pixels = g.out_pixels();
  for (int64_t s = 0; s < n; ++s)
    for (int64_t p = 0; p < pixels; ++p)
      for (int64_t j = 0; j < g.patch_size(); ++j) {
        const int64_t at = g.source(p, j);
        patches[(s * pixels + p) * ld + j] = at < 0 ? T{0} : images[s * g.image_size() + at];
      }
}
void image_to_patches(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld);
void patches_to_image(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images);
}  // namespace reference

// One thread per patch entry / image pixel; each pixel gathers its entries in row order of P, the
// CPU's order: the same bits.
namespace cuda {
void image_to_patches(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld,
                      cudaStream_t stream);
void patches_to_image(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images,
                      cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
