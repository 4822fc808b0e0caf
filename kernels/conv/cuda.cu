// im2col / col2im on the GPU: one thread per output element. col2im gathers each pixel's terms in
// (ky, kx) order, the order the CPU adds them in, so both give the same bits.
#include "bitblock/kernels/conv.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void im2col_kernel(const float* images, int64_t count, ConvGeometry g, float* cols, int64_t ld) {
  const int64_t pixels = g.out_pixels(), total = g.patch_size() * count * pixels;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = e / (count * pixels), col = e % (count * pixels);
    const int64_t i = col / pixels, at = g.source(col % pixels, row);
    cols[row * ld + col] = at < 0 ? 0.0f : images[i * g.image_size() + at];
  }
}

__global__ void col2im_kernel(const float* cols, int64_t ld, int64_t count, ConvGeometry g, float* images) {
  const int64_t k = g.kernel, oh = g.out_height(), ow = g.out_width(), pixels = g.out_pixels();
  const int64_t total = count * g.image_size();
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / g.image_size(), rest = e % g.image_size();
    const int64_t c = rest / (g.height * g.width), iy = (rest / g.width) % g.height, ix = rest % g.width;
    float sum = 0.0f;
    for (int64_t ky = 0; ky < k; ++ky) {
      const int64_t ty = iy + g.padding - ky;  // oy * stride
      if (ty < 0 || ty % g.stride != 0 || ty / g.stride >= oh) continue;
      for (int64_t kx = 0; kx < k; ++kx) {
        const int64_t tx = ix + g.padding - kx;
        if (tx < 0 || tx % g.stride != 0 || tx / g.stride >= ow) continue;
        sum += cols[((c * k + ky) * k + kx) * ld + i * pixels + (ty / g.stride) * ow + tx / g.stride];
      }
    }
    images[e] = sum;
  }
}

template <bool kToMaps>
__global__ void move_kernel(const float* src, float* dst, int64_t ld, int64_t channels, int64_t pixels, int64_t count) {
  const int64_t total = count * channels * pixels;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / (channels * pixels), c = (e / pixels) % channels, p = e % pixels;
    const int64_t col = c * ld + i * pixels + p;
    if (kToMaps) dst[e] = src[col];
    else dst[col] = src[e];
  }
}

}  // namespace

void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld, cudaStream_t stream) {
  const int64_t total = g.patch_size() * count * g.out_pixels();
  if (total == 0) return;
  im2col_kernel<<<blocks_for(total), 256, 0, stream>>>(images, count, g, cols, ld);
  CUDA_CHECK(cudaGetLastError());
}

void col2im(const float* cols, int64_t ld, int64_t count, const ConvGeometry& g, float* images, cudaStream_t stream) {
  const int64_t total = count * g.image_size();
  if (total == 0) return;
  col2im_kernel<<<blocks_for(total), 256, 0, stream>>>(cols, ld, count, g, images);
  CUDA_CHECK(cudaGetLastError());
}

void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count, float* maps,
                     cudaStream_t stream) {
  const int64_t total = count * channels * pixels;
  if (total == 0) return;
  move_kernel<true><<<blocks_for(total), 256, 0, stream>>>(cols, maps, ld, channels, pixels, count);
  CUDA_CHECK(cudaGetLastError());
}

void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols, int64_t ld,
                     cudaStream_t stream) {
  const int64_t total = count * channels * pixels;
  if (total == 0) return;
  move_kernel<false><<<blocks_for(total), 256, 0, stream>>>(maps, cols, ld, channels, pixels, count);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
