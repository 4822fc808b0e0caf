#pragma once
// Gathering a training or evaluation batch from 8-bit images (CHW per sample): normalisation
// through a 256-entry table and the augmentation each sample has drawn (a shift of the window
// inside the zero-padded image, and a left-right flip). Pure copies and table lookups: CPU and
// CUDA give the same bits.
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

// Per sample: output row y reads source row y + shift_y; output column x reads source column
// (flip ? width - 1 - x : x) + shift_x; outside the image the value is 0 (the padding, in
// normalised space). Three int32 per sample in this order.
struct SampleTransform {
  int32_t shift_y = 0, shift_x = 0, flip = 0;
};

struct ImageSet {
  const uint8_t* images = nullptr;  // samples * channels * height * width
  const uint8_t* labels = nullptr;  // samples
  int channels = 0, height = 0, width = 0;
};

// x[i] = lut[pixels of sample indices[i], transformed by transforms[i]] (transforms may be null:
// identity), y[i] = labels[indices[i]]. x holds n * C*H*W floats, y n labels.
void gather_batch(const ImageSet& set, const int64_t* indices, const SampleTransform* transforms, int64_t n,
                  const float* lut, float* x, int32_t* y);

namespace reference {
void gather_batch(const ImageSet& set, const int64_t* indices, const SampleTransform* transforms, int64_t n,
                  const float* lut, float* x, int32_t* y);
}  // namespace reference

namespace cuda {
void gather_batch(const ImageSet& set, const int64_t* indices, const SampleTransform* transforms, int64_t n,
                  const float* lut, float* x, int32_t* y, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
