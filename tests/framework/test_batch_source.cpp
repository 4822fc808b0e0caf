// BatchSource (batch_source.hpp): the batches training and evaluation gather, against hand-worked
// values: the samples in the order given, their labels, the last partial batch of an epoch and the
// full batch of the next one in the same buffers, the augmentation drawn per sample from the
// batch's generator (the same seed: the same batch), and the errors for bad batches. On the CPU,
// and on a CUDA device when there is one.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/batch_source.hpp"
#include "bitblock/framework/device.hpp"

namespace bitblock {
namespace {

// Four 1x2x3 samples: sample s holds 10 s + 1 .. 10 s + 6, labels 5..8.
Dataset four_samples() {
  Dataset d;
  d.name = "four";
  d.channels = 1;
  d.height = 2;
  d.width = 3;
  d.num_classes = 10;
  for (int s = 0; s < 4; ++s)
    for (int p = 0; p < 6; ++p) d.images.push_back(static_cast<uint8_t>(10 * s + p + 1));
  d.labels = {5, 6, 7, 8};
  return d;
}

// x = (v / 255 - 0) / (1 / 255): the pixel values themselves (to float rounding).
const Normalization kPixels{0.0f, 1.0f / 255.0f};

std::vector<Device> devices() {
  std::vector<Device> d{Device::Cpu};
  if (cuda_usable()) d.push_back(Device::Cuda);
  return d;
}

void expect_batch(const BatchSource& b, const std::vector<float>& x, const std::vector<int32_t>& labels) {
  ASSERT_EQ(b.x().dim(0), static_cast<int64_t>(labels.size()));
  const std::vector<float> got = b.x().to(host_context()).values();
  ASSERT_EQ(got.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(got[i], x[i], 1e-4f) << "x[" << i << "]";
  const std::vector<int32_t> y = b.labels().to_vector();
  for (size_t i = 0; i < labels.size(); ++i) EXPECT_EQ(y[i], labels[i]) << "label " << i;
}

TEST(BatchSource, GathersTheGivenSamplesInOrder) {
  const Dataset d = four_samples();
  for (Device dev : devices()) {
    SCOPED_TRACE(to_string(dev));
    BatchSource b(d, kPixels, Augmentation{}, 3, make_context(dev));
    const int64_t idx[3] = {2, 0, 3};
    b.prepare(idx, 3, nullptr);
    b.gather();
    EXPECT_EQ(b.x().shape(), (Shape{3, 1, 2, 3}));
    expect_batch(b, {21, 22, 23, 24, 25, 26, 1, 2, 3, 4, 5, 6, 31, 32, 33, 34, 35, 36}, {7, 5, 8});
  }
}

// An epoch of 4 samples in batches of 3 ends with a batch of 1; the next epoch's first batch is
// full again and its values are the new samples', not left over from either.
TEST(BatchSource, LastPartialBatchThenTheNextEpoch) {
  const Dataset d = four_samples();
  for (Device dev : devices()) {
    SCOPED_TRACE(to_string(dev));
    BatchSource b(d, kPixels, Augmentation{}, 3, make_context(dev));
    const int64_t epoch0[4] = {1, 2, 3, 0}, epoch1[4] = {3, 1, 0, 2};
    b.prepare(epoch0, 3, nullptr);
    b.gather();
    expect_batch(b, {11, 12, 13, 14, 15, 16, 21, 22, 23, 24, 25, 26, 31, 32, 33, 34, 35, 36}, {6, 7, 8});
    b.prepare(epoch0 + 3, 1, nullptr);
    b.gather();
    EXPECT_EQ(b.x().shape(), (Shape{1, 1, 2, 3}));
    expect_batch(b, {1, 2, 3, 4, 5, 6}, {5});
    b.prepare(epoch1, 3, nullptr);
    b.gather();
    EXPECT_EQ(b.x().shape(), (Shape{3, 1, 2, 3}));
    expect_batch(b, {31, 32, 33, 34, 35, 36, 11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6}, {8, 6, 5});
    b.prepare(epoch1 + 3, 1, nullptr);
    b.gather();
    expect_batch(b, {21, 22, 23, 24, 25, 26}, {7});
  }
}

TEST(BatchSource, RefusesOversizedBatchesAndUnknownSamples) {
  const Dataset d = four_samples();
  BatchSource b(d, kPixels, Augmentation{}, 2, host_context());
  const int64_t three[3] = {0, 1, 2}, outside[2] = {1, 4}, negative[1] = {-1};
  EXPECT_THROW(b.prepare(three, 3, nullptr), std::invalid_argument);
  EXPECT_THROW(b.prepare(outside, 2, nullptr), std::out_of_range);
  EXPECT_THROW(b.prepare(negative, 1, nullptr), std::out_of_range);
}

// The augmented image by hand: 3x3 image 1..9 zero-padded by 1, the 3x3 window at (dy, dx) of the
// padded image, mirrored left-right when flipped.
std::vector<float> cropped(int dy, int dx, bool flip) {
  std::vector<float> out;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      const int pr = r + dy - 1, pc = (flip ? 2 - c : c) + dx - 1;  // in the unpadded image
      out.push_back(pr < 0 || pr > 2 || pc < 0 || pc > 2 ? 0.0f : static_cast<float>(pr * 3 + pc + 1));
    }
  return out;
}

TEST(BatchSource, AugmentationFollowsTheBatchGenerator) {
  Dataset d;
  d.name = "nine";
  d.channels = 1;
  d.height = d.width = 3;
  d.num_classes = 10;
  d.images = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  d.labels = {3};
  const int n = 40;
  const std::vector<int64_t> idx(n, 0);
  for (Device dev : devices()) {
    SCOPED_TRACE(to_string(dev));
    BatchSource b(d, kPixels, Augmentation{1, true}, n, make_context(dev));
    // Per sample, in order: the window's row offset, its column offset (0..2 each), the flip.
    Rng draws(77);
    std::vector<float> want;
    for (int i = 0; i < n; ++i) {
      const int dy = static_cast<int>(draws.below(3)), dx = static_cast<int>(draws.below(3));
      const bool flip = draws.below(2) == 1;
      const std::vector<float> img = cropped(dy, dx, flip);
      want.insert(want.end(), img.begin(), img.end());
    }
    Rng rng(77);
    b.prepare(idx.data(), n, &rng);
    b.gather();
    expect_batch(b, want, std::vector<int32_t>(n, 3));
    const std::vector<float> first = b.x().to(host_context()).values();

    // Another generator draws other windows; the same seed again gives the same batch.
    Rng other(78);
    b.prepare(idx.data(), n, &other);
    b.gather();
    EXPECT_NE(b.x().to(host_context()).values(), first);
    Rng again(77);
    b.prepare(idx.data(), n, &again);
    b.gather();
    EXPECT_EQ(b.x().to(host_context()).values(), first);

    // Evaluation (no generator): the images as they are, whatever the augmentation settings.
    b.prepare(idx.data(), 2, nullptr);
    b.gather();
    expect_batch(b, {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  }
}

}  // namespace
}  // namespace bitblock
