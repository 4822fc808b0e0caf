// Batch assembly: gather samples, normalise through a 256-entry table, and apply the random
// crop / flip. Random numbers are drawn serially before the parallel copy, so the batch depends
// only on the seed, not on the thread count.
#include <stdexcept>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock {
namespace {

struct SampleTransform {
  int shift_y = 0;  // output row y reads source row y + shift_y
  int shift_x = 0;
  bool flip = false;
};

}  // namespace

void make_batch(const Dataset& d, const int64_t* indices, int64_t n, const Normalization& norm,
                const Augmentation& aug, Rng* rng, float* x_out, int32_t* y_out) {
  if (!(norm.std > 0.0f))
    fail_input("normalization.std", "must be positive, got " + std::to_string(norm.std));
  if (aug.crop_padding < 0 || aug.crop_padding > d.height || aug.crop_padding > d.width)
    fail_input("augmentation.crop_padding",
               "must be between 0 and the image size, got " + std::to_string(aug.crop_padding));
  for (int64_t i = 0; i < n; ++i)
    if (indices[i] < 0 || indices[i] >= d.size())
      throw std::out_of_range("make_batch: sample index " + std::to_string(indices[i]) +
                              " outside " + d.name + " (" + std::to_string(d.size()) +
                              " samples)");

  const int p = aug.crop_padding;
  std::vector<SampleTransform> tf(static_cast<size_t>(n));
  if (rng != nullptr) {
    for (SampleTransform& t : tf) {
      if (p > 0) {
        // Window offset in the padded image is in [0, 2p]; relative to the original, -p..p.
        t.shift_y = static_cast<int>(rng->below(2u * p + 1u)) - p;
        t.shift_x = static_cast<int>(rng->below(2u * p + 1u)) - p;
      }
      if (aug.hflip) t.flip = rng->below(2) == 1;
    }
  }

  float lut[256];
  for (int v = 0; v < 256; ++v) lut[v] = (static_cast<float>(v) / 255.0f - norm.mean) / norm.std;

  const int channels = d.channels, height = d.height, width = d.width;
  const int64_t sample = d.sample_size();
#pragma omp parallel for schedule(static) if (n * sample > 65536)
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = d.images.data() + indices[i] * sample;
    float* dst = x_out + i * sample;
    const SampleTransform t = tf[static_cast<size_t>(i)];
    y_out[i] = d.labels[static_cast<size_t>(indices[i])];
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

}  // namespace bitblock
