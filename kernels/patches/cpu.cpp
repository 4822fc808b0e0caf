// Patch-major im2col and its adjoint on the CPU: samples in parallel (each sample's patch rows and
// image belong to one thread); a patch row is built from runs of kx taps, edges clipped once per
// (row, ky), zeros written only where a tap falls outside the image; the common kernel sizes are
// compiled with a constant k so the tap loops unroll.
#include <algorithm>

#include "bitblock/kernels/patches.hpp"

namespace bitblock::kernels {
namespace {
// Below this many patch entries a parallel region costs more than it saves; a training step's
// groups hold up to kCpuPatchGroupFloats, so the threshold sits well below it (at the group size
// itself no group ran in parallel: fashion_cnn had 12% of its step serial at --threads 2).
constexpr int64_t kParallelEntries = kCpuPatchGroupFloats / 8;

struct Taps {
  int64_t x0, lo, hi;  // image column of tap 0; taps [lo, hi) are inside the image
};

Taps taps_of(const ConvGeometry& g, int64_t k, int64_t ox) {
  const int64_t x0 = ox * g.stride - g.padding;
  return {x0, std::max<int64_t>(0, -x0), std::min<int64_t>(k, g.width - x0)};
}

// K > 0: the kernel size as a constant; K == 0: g.kernel.
template <int K>
void image_to_patches_k(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld) {
  const int64_t k = K > 0 ? K : g.kernel, oh = g.out_height(), ow = g.out_width();
  const int64_t plane = g.height * g.width;
#pragma omp parallel for schedule(static) if (n * g.out_pixels() * g.patch_size() >= kParallelEntries)
  for (int64_t s = 0; s < n; ++s) {
    const float* image = images + s * g.channels * plane;
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        float* row = patches + ((s * oh + oy) * ow + ox) * ld;
        const Taps t = taps_of(g, k, ox);
        for (int64_t c = 0; c < g.channels; ++c) {
          for (int64_t ky = 0; ky < k; ++ky) {
            float* dst = row + (c * k + ky) * k;
            const int64_t iy = oy * g.stride - g.padding + ky;
            if (iy < 0 || iy >= g.height) {
              for (int64_t kx = 0; kx < k; ++kx) dst[kx] = 0.0f;
              continue;
            }
            const float* src = image + c * plane + iy * g.width;
            for (int64_t kx = 0; kx < t.lo; ++kx) dst[kx] = 0.0f;
            for (int64_t kx = t.lo; kx < t.hi; ++kx) dst[kx] = src[t.x0 + kx];
            for (int64_t kx = std::max(t.lo, t.hi); kx < k; ++kx) dst[kx] = 0.0f;
          }
        }
      }
    }
  }
}

template <int K>
void patches_to_image_k(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images) {
  const int64_t k = K > 0 ? K : g.kernel, oh = g.out_height(), ow = g.out_width();
  const int64_t plane = g.height * g.width;
#pragma omp parallel for schedule(static) if (n * g.out_pixels() * g.patch_size() >= kParallelEntries)
  for (int64_t s = 0; s < n; ++s) {
    float* image = images + s * g.channels * plane;
    std::fill(image, image + g.channels * plane, 0.0f);
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        const float* row = patches + ((s * oh + oy) * ow + ox) * ld;
        const Taps t = taps_of(g, k, ox);
        for (int64_t c = 0; c < g.channels; ++c) {
          for (int64_t ky = 0; ky < k; ++ky) {
            const int64_t iy = oy * g.stride - g.padding + ky;
            if (iy < 0 || iy >= g.height) continue;
            float* dst = image + c * plane + iy * g.width;
            const float* src = row + (c * k + ky) * k;
            for (int64_t kx = t.lo; kx < t.hi; ++kx) dst[t.x0 + kx] += src[kx];
          }
        }
      }
    }
  }
}
}  // namespace

void image_to_patches(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld) {
  switch (g.kernel) {
    case 1: return image_to_patches_k<1>(images, n, g, patches, ld);
    case 3: return image_to_patches_k<3>(images, n, g, patches, ld);
    case 5: return image_to_patches_k<5>(images, n, g, patches, ld);
    default: return image_to_patches_k<0>(images, n, g, patches, ld);
  }
}

void patches_to_image(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images) {
  switch (g.kernel) {
    case 1: return patches_to_image_k<1>(patches, ld, n, g, images);
    case 3: return patches_to_image_k<3>(patches, ld, n, g, images);
    case 5: return patches_to_image_k<5>(patches, ld, n, g, images);
    default: return patches_to_image_k<0>(patches, ld, n, g, images);
  }
}

}  // namespace bitblock::kernels
