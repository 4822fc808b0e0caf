// Plain reference loops for the patch-major im2col and its adjoint, element by element.
#include <algorithm>

#include "bitblock/kernels/patches.hpp"

namespace bitblock::kernels::reference {
namespace {
// f(row, column, image offset) for every entry of P that reads a pixel of sample s.
template <typename F>
void for_each_read(const PatchGeometry& g, int64_t s, F f) {
  const int64_t oh = g.out_height(), ow = g.out_width(), k = g.kernel;
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox)
      for (int64_t c = 0; c < g.channels; ++c)
        for (int64_t ky = 0; ky < k; ++ky)
          for (int64_t kx = 0; kx < k; ++kx) {
            const int64_t iy = oy * g.stride - g.padding + ky, ix = ox * g.stride - g.padding + kx;
            if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
            f((s * oh + oy) * ow + ox, (c * k + ky) * k + kx, ((s * g.channels + c) * g.height + iy) * g.width + ix);
          }
}
}  // namespace

void image_to_patches(const float* images, int64_t n, const PatchGeometry& g, float* patches, int64_t ld) {
  for (int64_t r = 0; r < n * g.out_pixels(); ++r) std::fill(patches + r * ld, patches + r * ld + g.patch_size(), 0.0f);
  for (int64_t s = 0; s < n; ++s)
    for_each_read(g, s, [&](int64_t row, int64_t col, int64_t px) { patches[row * ld + col] = images[px]; });
}

void patches_to_image(const float* patches, int64_t ld, int64_t n, const PatchGeometry& g, float* images) {
  std::fill(images, images + n * g.channels * g.height * g.width, 0.0f);
  for (int64_t s = 0; s < n; ++s)
    for_each_read(g, s, [&](int64_t row, int64_t col, int64_t px) { images[px] += patches[row * ld + col]; });
}

}  // namespace bitblock::kernels::reference
