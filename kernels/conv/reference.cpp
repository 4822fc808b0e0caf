// im2col / col2im by their definitions: every column entry read from the image, and every image
// pixel gathered from the entries that read it.
#include "bitblock/kernels/conv.hpp"

namespace bitblock::kernels::reference {

void im2col(const float* images, int64_t count, const ConvGeometry& g, float* cols, int64_t ld) {
  const int64_t pixels = g.out_pixels();
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < g.patch_size(); ++j)
      for (int64_t p = 0; p < pixels; ++p) {
        const int64_t at = g.source(p, j);
        cols[j * ld + i * pixels + p] = at < 0 ? 0.0f : images[i * g.image_size() + at];
      }
}

void col2im(const float* cols, int64_t ld, int64_t count, const ConvGeometry& g, float* images) {
  const int64_t k = g.kernel, oh = g.out_height(), ow = g.out_width(), pixels = g.out_pixels();
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < g.channels; ++c)
      for (int64_t iy = 0; iy < g.height; ++iy)
        for (int64_t ix = 0; ix < g.width; ++ix) {
          float sum = 0.0f;
          for (int64_t ky = 0; ky < k; ++ky)
            for (int64_t kx = 0; kx < k; ++kx)
              for (int64_t oy = 0; oy < oh; ++oy)
                for (int64_t ox = 0; ox < ow; ++ox)
                  if (oy * g.stride - g.padding + ky == iy && ox * g.stride - g.padding + kx == ix)
                    sum += cols[((c * k + ky) * k + kx) * ld + i * pixels + oy * ow + ox];
          images[i * g.image_size() + (c * g.height + iy) * g.width + ix] = sum;
        }
}

void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count, float* maps) {
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < pixels; ++p) maps[(i * channels + c) * pixels + p] = cols[c * ld + i * pixels + p];
}

void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols, int64_t ld) {
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < pixels; ++p) cols[c * ld + i * pixels + p] = maps[(i * channels + c) * pixels + p];
}

}  // namespace bitblock::kernels::reference
