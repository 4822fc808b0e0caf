// Batch gathering on the GPU: one thread per output value (the normalisation table in shared
// memory), labels by the first thread of each sample.
#include "bitblock/kernels/batch.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void gather_kernel(ImageSet set, const int64_t* indices, const SampleTransform* transforms, int64_t n,
                              const float* lut, float* x, int32_t* y) {
  __shared__ float table[256];
  for (int v = threadIdx.x; v < 256; v += blockDim.x) table[v] = lut[v];
  __syncthreads();
  const int64_t plane = int64_t{set.height} * set.width, sample = set.channels * plane;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n * sample;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / sample, rest = e % sample;
    const int64_t c = rest / plane, row = (rest / set.width) % set.height, col = rest % set.width;
    const SampleTransform t = transforms ? transforms[i] : SampleTransform{};
    const int64_t sy = row + t.shift_y, sx = (t.flip ? set.width - 1 - col : col) + t.shift_x;
    const bool inside = sy >= 0 && sy < set.height && sx >= 0 && sx < set.width;
    x[e] = inside ? table[set.images[indices[i] * sample + c * plane + sy * set.width + sx]] : 0.0f;
    if (rest == 0) y[i] = set.labels[indices[i]];
  }
}

}  // namespace

void gather_batch(const ImageSet& set, const int64_t* indices, const SampleTransform* transforms, int64_t n,
                  const float* lut, float* x, int32_t* y, cudaStream_t stream) {
  const int64_t total = n * set.channels * set.height * set.width;
  if (total == 0) return;
  gather_kernel<<<blocks_for(total), 256, 0, stream>>>(set, indices, transforms, n, lut, x, y);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
