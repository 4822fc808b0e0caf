// Max pooling by definition: the first maximum of each window; backward adds each output
// gradient at its argmax.
#include <algorithm>

#include "bitblock/kernels/pool.hpp"

namespace bitblock::kernels::reference {

void maxpool_forward(const float* x, int64_t planes, int64_t height, int64_t width, int kernel, int stride, float* y,
                     int32_t* argmax) {
  maxpool_of(x, planes, height, width, kernel, stride, y, argmax, [](float v, float best, int64_t) { return v > best; });
}

void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t height, int64_t width,
                      int kernel, int stride, float* dx) {
  const int64_t oh = (height - kernel) / stride + 1, ow = (width - kernel) / stride + 1;
  std::fill(dx, dx + planes * height * width, 0.0f);
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t o = 0; o < oh * ow; ++o) dx[pl * height * width + argmax[pl * oh * ow + o]] += dy[pl * oh * ow + o];
}

}  // namespace bitblock::kernels::reference
