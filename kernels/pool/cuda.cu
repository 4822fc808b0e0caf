// Max pooling on the GPU. Forward: one thread per output. Backward: one thread per input pixel,
// gathering the gradients of the windows whose argmax it is, in output order (the CPU's order).
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/pool.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void forward_kernel(const float* x, int64_t planes, int64_t h, int64_t w, int k, int s, float* y,
                               int32_t* argmax) {
  const int64_t oh = (h - k) / s + 1, ow = (w - k) / s + 1;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < planes * oh * ow;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t pl = e / (oh * ow), oy = (e / ow) % oh, ox = e % ow;
    const float* plane = x + pl * h * w;
    int64_t best = (oy * s) * w + ox * s;
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        const int64_t at = (oy * s + ky) * w + ox * s + kx;
        if (plane[at] > plane[best]) best = at;
      }
    y[e] = plane[best];
    argmax[e] = static_cast<int32_t>(best);
  }
}

__global__ void backward_kernel(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w, int k,
                                int s, float* dx) {
  const int64_t oh = (h - k) / s + 1, ow = (w - k) / s + 1;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < planes * h * w;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t pl = e / (h * w), at = e % (h * w), iy = at / w, ix = at % w;
    // Windows containing (iy, ix): oy in [ceil((iy - k + 1) / s), iy / s], the same for x.
    const int64_t oy0 = iy >= k ? (iy - k) / s + 1 : 0, ox0 = ix >= k ? (ix - k) / s + 1 : 0;
    const int64_t oy1 = min(iy / s, oh - 1), ox1 = min(ix / s, ow - 1);
    float sum = 0.0f;
    for (int64_t oy = oy0; oy <= oy1; ++oy)
      for (int64_t ox = ox0; ox <= ox1; ++ox) {
        const int64_t o = (pl * oh + oy) * ow + ox;
        if (argmax[o] == at) sum += dy[o];
      }
    dx[e] = sum;
  }
}

}  // namespace

void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax, cudaStream_t stream) {
  const int64_t total = planes * ((height - kernel) / stride + 1) * ((width - kernel) / stride + 1);
  if (total == 0) return;
  forward_kernel<<<blocks_for(total), 256, 0, stream>>>(x, planes, height, width, kernel, stride, y, argmax);
  CUDA_CHECK(cudaGetLastError());
}

void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx, cudaStream_t stream) {
  const int64_t total = planes * height * width;
  if (total == 0) return;
  backward_kernel<<<blocks_for(total), 256, 0, stream>>>(dy, argmax, planes, height, width, kernel, stride, dx);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
