// Max pooling on the CPU: the forward loops of cpu_body.hpp, compiled portable here and for AVX2
// and AVX-512 beside it, called for the active ISA (the same values and argmax on each); the
// backward, one plane per OpenMP iteration for conv-sized tensors.
#include <algorithm>

#include "bitblock/kernels/pool.hpp"
#include "common/isa_table.hpp"
#include "common/parallel.hpp"
#include "pool/cpu_body.hpp"

namespace bitblock::kernels {
namespace detail {
const PoolCpu pool_portable = kPoolCpu;
}  // namespace detail

void maxpool_forward(const float* in, int64_t planes, int64_t h, int64_t w, int kernel, int stride, float* o,
                     int32_t* arg) {
  detail::isa_pick(detail::pool_portable, detail::pool_avx2, detail::pool_avx512)
      .forward(in, planes, h, w, kernel, stride, o, arg);
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
