// Patch-major im2col and its adjoint on the CPU: samples in parallel (each sample's patch rows and
// image belong to one thread), each patch row built from runs of kx taps, the edges clipped once
// per (row, ky) instead of tested per tap.
#include <algorithm>
#include <cstring>

#include "bitblock/kernels/patches.hpp"

namespace bitblock::kernels {
namespace {
// Below this many patch entries a parallel region costs more than it saves.
constexpr int64_t kParallelEntries = int64_t{1} << 18;

// Taps kx in [lo, hi) of a patch row at output column ox read image columns ox*stride - pad + kx
// inside the image.
void tap_range(const PatchGeometry& g, int64_t ox, int64_t& lo, int64_t& hi) {
  const int64_t x0 = ox * g.stride - g.padding;
  lo = std::max<int64_t>(0, -x0);
  hi = std::min<int64_t>(g.kernel, g.width - x0);
}
}  // namespace

void image_to_patches(const float* images, int64_t n, const PatchGeometry& g, float* patches, int64_t ld) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel;
  const int64_t plane = g.height * g.width;
#pragma omp parallel for schedule(static) if (n * g.out_pixels() * g.patch_size() >= kParallelEntries)
  for (int64_t s = 0; s < n; ++s) {
    const float* image = images + s * g.channels * plane;
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        float* row = patches + ((s * oh + oy) * ow + ox) * ld;
        std::memset(row, 0, static_cast<size_t>(g.patch_size()) * sizeof(float));
        int64_t lo = 0, hi = 0;
        tap_range(g, ox, lo, hi);
        if (lo >= hi) continue;
        const int64_t x0 = ox * g.stride - g.padding;
        for (int64_t c = 0; c < g.channels; ++c) {
          for (int64_t ky = 0; ky < k; ++ky) {
            const int64_t iy = oy * g.stride - g.padding + ky;
            if (iy < 0 || iy >= g.height) continue;
            const float* src = image + c * plane + iy * g.width;
            float* dst = row + (c * k + ky) * k;
            for (int64_t kx = lo; kx < hi; ++kx) dst[kx] = src[x0 + kx];
          }
        }
      }
    }
  }
}

void patches_to_image(const float* patches, int64_t ld, int64_t n, const PatchGeometry& g, float* images) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel;
  const int64_t plane = g.height * g.width;
#pragma omp parallel for schedule(static) if (n * g.out_pixels() * g.patch_size() >= kParallelEntries)
  for (int64_t s = 0; s < n; ++s) {
    float* image = images + s * g.channels * plane;
    std::fill(image, image + g.channels * plane, 0.0f);
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        const float* row = patches + ((s * oh + oy) * ow + ox) * ld;
        int64_t lo = 0, hi = 0;
        tap_range(g, ox, lo, hi);
        if (lo >= hi) continue;
        const int64_t x0 = ox * g.stride - g.padding;
        for (int64_t c = 0; c < g.channels; ++c) {
          for (int64_t ky = 0; ky < k; ++ky) {
            const int64_t iy = oy * g.stride - g.padding + ky;
            if (iy < 0 || iy >= g.height) continue;
            float* dst = image + c * plane + iy * g.width;
            const float* src = row + (c * k + ky) * k;
            for (int64_t kx = lo; kx < hi; ++kx) dst[x0 + kx] += src[kx];
          }
        }
      }
    }
  }
}

}  // namespace bitblock::kernels
