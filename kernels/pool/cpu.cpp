// Max pooling on the CPU: one plane per OpenMP iteration for conv-sized tensors.
#include <algorithm>

#include "bitblock/kernels/pool.hpp"
#include "common/parallel.hpp"

namespace bitblock::kernels {

void maxpool_forward(const float* in, int64_t planes, int64_t h, int64_t w, int kernel, int stride, float* o,
                     int32_t* arg) {
  const int64_t k = kernel, s = stride, oh = (h - k) / s + 1, ow = (w - k) / s + 1;
#pragma omp parallel for schedule(static) if (planes * h * w >= kParallelMinElements)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* plane = in + pl * h * w;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t best = (oy * s) * w + ox * s;
        for (int64_t ky = 0; ky < k; ++ky)
          for (int64_t kx = 0; kx < k; ++kx) {
            const int64_t at = (oy * s + ky) * w + ox * s + kx;
            if (plane[at] > plane[best]) best = at;
          }
        const int64_t oi = (pl * oh + oy) * ow + ox;
        o[oi] = plane[best];
        arg[oi] = static_cast<int32_t>(best);
      }
  }
}

void maxpool_backward(const float* dy, const int32_t* arg, int64_t planes, int64_t h, int64_t w, int kernel,
                      int stride, float* d) {
  const int64_t plane_in = h * w, plane_out = ((h - kernel) / stride + 1) * ((w - kernel) / stride + 1);
  // One thread per plane: overlapping windows add into the same plane in output order.
#pragma omp parallel for schedule(static) if (planes * plane_in >= kParallelMinElements)
  for (int64_t pl = 0; pl < planes; ++pl) {
    std::fill(d + pl * plane_in, d + (pl + 1) * plane_in, 0.0f);
    for (int64_t i = 0; i < plane_out; ++i) d[pl * plane_in + arg[pl * plane_out + i]] += dy[pl * plane_out + i];
  }
}

}  // namespace bitblock::kernels
