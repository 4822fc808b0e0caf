// Patch-major im2col and its adjoint on the GPU (patches.hpp): one thread per patch entry, and one
// per image pixel gathering the entries that read it in row order of P (the CPU adds them in that
// order, so both give the same bits).
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/patches.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void to_patches_kernel(const float* images, int64_t n, ConvGeometry g, float* patches, int64_t ld) {
  const int64_t cols = g.patch_size(), rows = n * g.out_pixels();
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < rows * cols;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = e / cols, col = e % cols, at = g.source(row % g.out_pixels(), col);
    patches[row * ld + col] = at < 0 ? 0.0f : images[(row / g.out_pixels()) * g.image_size() + at];
  }
}

__global__ void to_image_kernel(const float* patches, int64_t ld, int64_t n, ConvGeometry g, float* images) {
  const int64_t k = g.kernel, oh = g.out_height(), ow = g.out_width(), plane = g.height * g.width;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n * g.channels * plane;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t s = e / (g.channels * plane), c = (e / plane) % g.channels;
    const int64_t iy = (e % plane) / g.width, ix = e % g.width;
    float sum = 0.0f;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const int64_t ky = iy - (oy * g.stride - g.padding);
      if (ky < 0 || ky >= k) continue;
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t kx = ix - (ox * g.stride - g.padding);
        if (kx < 0 || kx >= k) continue;
        sum += patches[((s * oh + oy) * ow + ox) * ld + (c * k + ky) * k + kx];
      }
    }
    images[e] = sum;
  }
}

}  // namespace

void image_to_patches(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld,
                      cudaStream_t stream) {
  const int64_t total = n * g.out_pixels() * g.patch_size();
  if (total == 0) return;
  to_patches_kernel<<<blocks_for(total), 256, 0, stream>>>(images, n, g, patches, ld);
  CUDA_CHECK(cudaGetLastError());
}

void patches_to_image(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images,
                      cudaStream_t stream) {
  const int64_t total = n * g.channels * g.height * g.width;
  if (total == 0) return;
  to_image_kernel<<<blocks_for(total), 256, 0, stream>>>(patches, ld, n, g, images);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
