// Batch gathering on the CPU: samples split over OpenMP threads for large batches.
#include "bitblock/kernels/batch.hpp"

namespace bitblock::kernels {

void gather_batch(const ImageSet& set, const int64_t* indices, const SampleTransform* transforms, int64_t n,
                  const float* lut, float* x_out, int32_t* y_out) {
  const int channels = set.channels, height = set.height, width = set.width;
  const int64_t sample = int64_t{channels} * height * width;
#pragma omp parallel for schedule(static) if (n * sample > 65536)
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = set.images + indices[i] * sample;
    float* dst = x_out + i * sample;
    const SampleTransform t = transforms ? transforms[i] : SampleTransform{};
    y_out[i] = set.labels[indices[i]];
    for (int c = 0; c < channels; ++c) {
      const uint8_t* plane = src + int64_t{c} * height * width;
      for (int y = 0; y < height; ++y) {
        float* row = dst + (int64_t{c} * height + y) * width;
        int sy = y + t.shift_y;
        if (sy < 0 || sy >= height) {
          for (int x = 0; x < width; ++x) row[x] = 0.0f;  // padding: 0 in normalised space
          continue;
        }
        const uint8_t* src_row = plane + int64_t{sy} * width;
        for (int x = 0; x < width; ++x) {
          int sx = (t.flip ? width - 1 - x : x) + t.shift_x;
          row[x] = (sx >= 0 && sx < width) ? lut[src_row[sx]] : 0.0f;
        }
      }
    }
  }
}

}  // namespace bitblock::kernels
