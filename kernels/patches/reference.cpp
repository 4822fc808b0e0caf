// Plain reference loops for the patch-major im2col and its adjoint, entry by entry over
// ConvGeometry::source.
#include <algorithm>

#include "bitblock/kernels/patches.hpp"

namespace bitblock::kernels::reference {

void image_to_patches(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld) {
  patches_of(images, n, g, patches, ld);
}

void patches_to_image(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images) {
  std::fill(images, images + n * g.image_size(), 0.0f);
  const int64_t pixels = g.out_pixels();
  for (int64_t s = 0; s < n; ++s)
    for (int64_t p = 0; p < pixels; ++p)
      for (int64_t j = 0; j < g.patch_size(); ++j) {
        const int64_t at = g.source(p, j);
        if (at >= 0) images[s * g.image_size() + at] += patches[(s * pixels + p) * ld + j];
      }
}

}  // namespace bitblock::kernels::reference
