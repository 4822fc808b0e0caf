#pragma once
// Max pooling over square windows of [planes, height, width] maps (planes = batch * channels),
// no padding: out = (H - kernel) / stride + 1 per side. Ties go to the first maximum in row-major
// window order; argmax holds each output's offset inside its input plane. Backward routes each
// output gradient to that position, summed in output order where windows overlap. CPU and CUDA
// give the same bits (the CUDA backward gathers per input pixel in output order).
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax);
// dx (planes x height x width) is overwritten.
void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx);

namespace reference {
// Max pooling of [planes, height, width] maps of any element type by the window order above:
// y = each window's first element that no later one beats (better(v, best, plane) says whether v
// beats best), argmax (null: not kept) its offset in the plane. maxpool_forward is this with
// better = greater; model/ pools integer accumulators (better depends on the channel) and codes.
template <typename T, typename Better>
void maxpool_of(const T* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, T* y,
                int32_t* argmax, Better better) {
  const int64_t oh = (height - kernel) / stride + 1, ow = (width - kernel) / stride + 1;
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* plane = x + pl * height * width;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t best = oy * stride * width + ox * stride;
        for (int64_t ky = 0; ky < kernel; ++ky)
          for (int64_t kx = 0; kx < kernel; ++kx) {
            const int64_t at = (oy * stride + ky) * width + ox * stride + kx;
            if (better(plane[at], plane[best], pl)) best = at;
          }
        y[(pl * oh + oy) * ow + ox] = plane[best];
        if (argmax) argmax[(pl * oh + oy) * ow + ox] = static_cast<int32_t>(best);
      }
  }
}
void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax);
void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx);
}  // namespace reference

namespace cuda {
void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax, cudaStream_t stream);
void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
