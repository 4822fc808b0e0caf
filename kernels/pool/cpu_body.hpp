#pragma once
// Max-pool forward on the CPU, the loops of every ISA (common/isa_table.hpp): included once by
// cpu.cpp, cpu_avx2.cpp and cpu_avx512.cpp, each compiling it for its ISA into kPoolCpu. One plane
// per OpenMP iteration for conv-sized tensors. 2x2 windows at stride 2 (the usual pool) take a
// loop of selects that the compiler vectorizes; other windows the general loop. Both keep the
// first maximum in row-major window order (a later value wins only when it is greater), so every
// ISA gives the reference's values and argmax.
#include <cstdint>

#include "common/parallel.hpp"
#include "pool/cpu_table.hpp"

namespace bitblock::kernels::detail {
namespace {

void plane_general(const float* plane, int64_t w, int64_t k, int64_t s, int64_t oh, int64_t ow, float* o,
                   int32_t* arg) {
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox) {
      int64_t best = (oy * s) * w + ox * s;
      for (int64_t ky = 0; ky < k; ++ky)
        for (int64_t kx = 0; kx < k; ++kx) {
          const int64_t at = (oy * s + ky) * w + ox * s + kx;
          if (plane[at] > plane[best]) best = at;
        }
      o[oy * ow + ox] = plane[best];
      arg[oy * ow + ox] = static_cast<int32_t>(best);
    }
}

void plane_2x2(const float* plane, int64_t w, int64_t oh, int64_t ow, float* o, int32_t* arg) {
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* r0 = plane + 2 * oy * w;
    const float* r1 = r0 + w;
    const auto row = static_cast<int32_t>(2 * oy * w), below = static_cast<int32_t>(w);
    float* orow = o + oy * ow;
    int32_t* arow = arg + oy * ow;
    for (int64_t ox = 0; ox < ow; ++ox) {
      const int32_t at = row + static_cast<int32_t>(2 * ox);
      float best = r0[2 * ox];
      int32_t where = at;
      const float b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
      // Masks instead of branches: rows of a few outputs run this scalar, on data whose
      // comparisons no branch predictor guesses.
      int32_t wins = -static_cast<int32_t>(b > best);
      best = b > best ? b : best;
      where = (where & ~wins) | ((at + 1) & wins);
      wins = -static_cast<int32_t>(c > best);
      best = c > best ? c : best;
      where = (where & ~wins) | ((at + below) & wins);
      wins = -static_cast<int32_t>(d > best);
      best = d > best ? d : best;
      where = (where & ~wins) | ((at + below + 1) & wins);
      orow[ox] = best;
      arow[ox] = where;
    }
  }
}

void forward(const float* in, int64_t planes, int64_t h, int64_t w, int kernel, int stride, float* o, int32_t* arg) {
  const int64_t k = kernel, s = stride, oh = (h - k) / s + 1, ow = (w - k) / s + 1;
  const bool two_by_two = k == 2 && s == 2;
#pragma omp parallel for schedule(static) if (planes * h * w >= kParallelMinElements)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* plane = in + pl * h * w;
    if (two_by_two) {
      plane_2x2(plane, w, oh, ow, o + pl * oh * ow, arg + pl * oh * ow);
    } else {
      plane_general(plane, w, k, s, oh, ow, o + pl * oh * ow, arg + pl * oh * ow);
    }
  }
}

constexpr PoolCpu kPoolCpu{forward};

}  // namespace
}  // namespace bitblock::kernels::detail
