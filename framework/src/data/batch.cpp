// Batch assembly on the host: checks, the augmentation draws (serial, before any parallel work,
// so the batch depends only on the seed, not on the thread count or device), the normalisation
// table, and the gather itself (kernels/batch.hpp).
#include <stdexcept>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/kernels/batch.hpp"

namespace bitblock {

void check_batch_settings(const Dataset& d, const Normalization& norm, const Augmentation& aug) {
  if (!(norm.std > 0.0f))
    fail_input("normalization.std", "must be positive, got " + std::to_string(norm.std));
  if (aug.crop_padding < 0 || aug.crop_padding > d.height || aug.crop_padding > d.width)
    fail_input("augmentation.crop_padding",
               "must be between 0 and the image size, got " + std::to_string(aug.crop_padding));
}

void check_indices(const Dataset& d, const int64_t* indices, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (indices[i] < 0 || indices[i] >= d.size())
      throw std::out_of_range("batch: sample index " + std::to_string(indices[i]) + " outside " + d.name + " (" +
                              std::to_string(d.size()) + " samples)");
}

void draw_transforms(const Augmentation& aug, int64_t n, Rng* rng, kernels::SampleTransform* out) {
  const int p = aug.crop_padding;
  for (int64_t i = 0; i < n; ++i) {
    kernels::SampleTransform& t = out[i];
    t = kernels::SampleTransform{};
    if (!rng) continue;
    if (p > 0) {
      // Window offset in the padded image is in [0, 2p]; relative to the original, -p..p.
      t.shift_y = static_cast<int>(rng->below(2u * p + 1u)) - p;
      t.shift_x = static_cast<int>(rng->below(2u * p + 1u)) - p;
    }
    if (aug.hflip) t.flip = rng->below(2) == 1;
  }
}

std::vector<float> normalization_table(const Normalization& norm) {
  std::vector<float> lut(256);
  for (int v = 0; v < 256; ++v) lut[static_cast<size_t>(v)] = (static_cast<float>(v) / 255.0f - norm.mean) / norm.std;
  return lut;
}

kernels::ImageSet image_set(const Dataset& d) {
  return {d.images.data(), d.labels.data(), d.channels, d.height, d.width};
}

void make_batch(const Dataset& d, const int64_t* indices, int64_t n, const Normalization& norm,
                const Augmentation& aug, Rng* rng, float* x_out, int32_t* y_out) {
  check_batch_settings(d, norm, aug);
  check_indices(d, indices, n);
  std::vector<kernels::SampleTransform> tf(static_cast<size_t>(n));
  draw_transforms(aug, n, rng, tf.data());
  const std::vector<float> lut = normalization_table(norm);
  kernels::gather_batch(image_set(d), indices, tf.data(), n, lut.data(), x_out, y_out);
}

}  // namespace bitblock
