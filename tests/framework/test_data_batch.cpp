// make_batch: normalisation values, gathering, random crop / flip against hand-worked images,
// and determinism (same seed, any thread count -> same batch).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <set>
#include <stdexcept>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock {
namespace {

Dataset tiny_dataset(int channels, int height, int width, const std::vector<uint8_t>& pixels,
                     const std::vector<uint8_t>& labels) {
  Dataset d;
  d.name = "tiny";
  d.channels = channels;
  d.height = height;
  d.width = width;
  d.num_classes = 10;
  d.images = pixels;
  d.labels = labels;
  return d;
}

TEST(DataBatch, NormalisesAndGathers) {
  // Two 1x2x2 samples.
  Dataset d = tiny_dataset(1, 2, 2, {0, 255, 51, 102, 204, 153, 0, 255}, {4, 7});
  const int64_t idx[3] = {1, 0, 1};
  std::vector<float> x(12);
  std::vector<int32_t> y(3);
  make_batch(d, idx, 3, Normalization{0.5f, 0.25f}, Augmentation{}, nullptr, x.data(), y.data());
  // (v/255 - 0.5) / 0.25: 0 -> -2, 255 -> 2, 51 -> -1.2, 102 -> -0.4, 204 -> 1.2, 153 -> 0.4.
  const float expected[12] = {1.2f, 0.4f, -2.0f, 2.0f, -2.0f, 2.0f, -1.2f, -0.4f, 1.2f, 0.4f, -2.0f, 2.0f};
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(x[static_cast<size_t>(i)], expected[i], 1e-6f) << i;
  EXPECT_EQ(y, (std::vector<int32_t>{7, 4, 7}));
}

TEST(DataBatch, DefaultNormalisationIsUnitRange) {
  Dataset d = tiny_dataset(1, 1, 3, {0, 255, 128}, {0});
  const int64_t idx[1] = {0};
  float x[3];
  int32_t y[1];
  make_batch(d, idx, 1, Normalization{}, Augmentation{}, nullptr, x, y);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 1.0f);
  EXPECT_NEAR(x[2], 128.0f / 255.0f, 1e-7f);
}

// 3x3 image 1..9 (row-major), normalisation mean 0 std 1/255 so output = pixel value exactly
// and the zero padding stays 0.
const Dataset kNine = tiny_dataset(1, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {3});
const Normalization kIdentity{0.0f, 1.0f / 255.0f};

// The (shift, flip) outcomes worked out by hand for kNine with padding 1. Window offset
// (dy, dx) in the padded 5x5 image; the flip mirrors the cut window.
struct Case {
  int dy, dx;
  bool flip;
  std::vector<float> image;
};
const std::vector<Case> kHandCases = {
    {1, 1, false, {1, 2, 3, 4, 5, 6, 7, 8, 9}},  // centre: unchanged
    {1, 1, true, {3, 2, 1, 6, 5, 4, 9, 8, 7}},   // centre, mirrored
    {0, 2, false, {0, 0, 0, 2, 3, 0, 5, 6, 0}},  // window up one, right one
    {0, 2, true, {0, 0, 0, 0, 3, 2, 0, 6, 5}},
    {2, 0, false, {0, 4, 5, 0, 7, 8, 0, 0, 0}},  // window down one, left one
    {0, 0, false, {0, 0, 0, 0, 1, 2, 0, 4, 5}},
    {2, 2, true, {0, 6, 5, 0, 9, 8, 0, 0, 0}},
};

TEST(DataBatch, CropAndFlipFollowTheDocumentedDraws) {
  // Many copies of one image: each output must be the hand-worked image for the draws a copy
  // of the generator predicts (dy, dx, flip in that order per sample).
  const int n = 400;
  std::vector<int64_t> idx(n, 0);
  std::vector<float> x(static_cast<size_t>(n) * 9);
  std::vector<int32_t> y(n);
  Rng rng(42);
  Rng predict = rng;
  make_batch(kNine, idx.data(), n, kIdentity, Augmentation{1, true}, &rng, x.data(), y.data());
  std::set<int> seen;
  for (int i = 0; i < n; ++i) {
    int dy = static_cast<int>(predict.below(3));
    int dx = static_cast<int>(predict.below(3));
    bool flip = predict.below(2) == 1;
    for (size_t k = 0; k < kHandCases.size(); ++k) {
      const Case& c = kHandCases[k];
      if (c.dy != dy || c.dx != dx || c.flip != flip) continue;
      seen.insert(static_cast<int>(k));
      for (int j = 0; j < 9; ++j)
        EXPECT_NEAR(x[static_cast<size_t>(i * 9 + j)], c.image[static_cast<size_t>(j)], 1e-4f)
            << "sample " << i << " case " << k << " pixel " << j;
    }
    EXPECT_EQ(y[static_cast<size_t>(i)], 3);
  }
  EXPECT_EQ(seen.size(), kHandCases.size());  // every hand case was exercised
  EXPECT_EQ(rng.next_u32(), predict.next_u32());  // exactly 3 draws per sample were used
}

TEST(DataBatch, EveryOutputIsOneOfTheEighteenCrops) {
  // Independent of draw order: 9 shifts x 2 flips, each a permutation of the pixels with zeros.
  const int n = 300;
  std::vector<int64_t> idx(n, 0);
  std::vector<float> x(static_cast<size_t>(n) * 9);
  std::vector<int32_t> y(n);
  Rng rng(7);
  make_batch(kNine, idx.data(), n, kIdentity, Augmentation{1, true}, &rng, x.data(), y.data());
  std::set<std::vector<int>> distinct;
  for (int i = 0; i < n; ++i) {
    std::vector<int> img(9);
    for (int j = 0; j < 9; ++j) img[static_cast<size_t>(j)] = static_cast<int>(std::lround(x[static_cast<size_t>(i * 9 + j)]));
    // Centre pixel of the window always comes from the image's middle 3x3 (nonzero), and a
    // shift by one blanks exactly one row and/or one column.
    EXPECT_NE(img[4], 0);
    int zeros = 0;
    for (int v : img) zeros += v == 0;
    EXPECT_TRUE(zeros == 0 || zeros == 3 || zeros == 5) << "sample " << i;
    distinct.insert(img);
  }
  EXPECT_EQ(distinct.size(), 18u);
}

TEST(DataBatch, NoRngMeansNoAugmentation) {
  const int64_t idx[1] = {0};
  float x[9];
  int32_t y[1];
  make_batch(kNine, idx, 1, kIdentity, Augmentation{2, true}, nullptr, x, y);
  for (int j = 0; j < 9; ++j) EXPECT_NEAR(x[j], static_cast<float>(j + 1), 1e-4f);
}

TEST(DataBatch, SameSeedSameBatchAnyThreadCount) {
  // 3x32x32 with varied pixels, large enough for the parallel path.
  const int n = 64;
  Dataset d = tiny_dataset(3, 32, 32, {}, {});
  d.images.resize(static_cast<size_t>(n) * 3072);
  d.labels.resize(n);
  for (size_t i = 0; i < d.images.size(); ++i) d.images[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  for (int i = 0; i < n; ++i) d.labels[static_cast<size_t>(i)] = static_cast<uint8_t>(i % 10);
  std::vector<int64_t> idx(n);
  for (int i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = (i * 37) % n;

  auto run = [&](uint64_t seed, int threads) {
    std::vector<float> x(static_cast<size_t>(n) * 3072);
    std::vector<int32_t> y(n);
    Rng rng(seed);
    int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    make_batch(d, idx.data(), n, Normalization{0.45f, 0.22f}, Augmentation{4, true}, &rng, x.data(), y.data());
    omp_set_num_threads(before);
    return x;
  };
  std::vector<float> a = run(123, 1);
  EXPECT_EQ(a, run(123, 2));
  EXPECT_EQ(a, run(123, 4));
  EXPECT_NE(a, run(124, 2));
}

TEST(DataBatch, RejectsBadArguments) {
  const int64_t idx[1] = {0};
  float x[9];
  int32_t y[1];
  EXPECT_THROW(make_batch(kNine, idx, 1, Normalization{0.0f, 0.0f}, Augmentation{}, nullptr, x, y), InputError);
  EXPECT_THROW(make_batch(kNine, idx, 1, kIdentity, Augmentation{-1, false}, nullptr, x, y), InputError);
  const int64_t bad[1] = {1};
  EXPECT_THROW(make_batch(kNine, bad, 1, kIdentity, Augmentation{}, nullptr, x, y), std::out_of_range);
}

}  // namespace
}  // namespace bitblock
