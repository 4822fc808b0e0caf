// Batch gathering pixel by pixel from the transform's definition.
#include "bitblock/kernels/batch.hpp"

namespace bitblock::kernels::reference {

void gather_batch(const ImageSet& set, const int64_t* indices, const SampleTransform* transforms, int64_t n,
                  const float* lut, float* x, int32_t* y) {
  const int64_t sample = int64_t{set.channels} * set.height * set.width;
  for (int64_t i = 0; i < n; ++i) {
    const SampleTransform t = transforms ? transforms[i] : SampleTransform{};
    y[i] = set.labels[indices[i]];
    for (int c = 0; c < set.channels; ++c)
      for (int row = 0; row < set.height; ++row)
        for (int col = 0; col < set.width; ++col) {
          const int sy = row + t.shift_y, sx = (t.flip ? set.width - 1 - col : col) + t.shift_x;
          const bool inside = sy >= 0 && sy < set.height && sx >= 0 && sx < set.width;
          x[i * sample + (int64_t{c} * set.height + row) * set.width + col] =
              inside ? lut[set.images[indices[i] * sample + (int64_t{c} * set.height + sy) * set.width + sx]] : 0.0f;
        }
  }
}

}  // namespace bitblock::kernels::reference
