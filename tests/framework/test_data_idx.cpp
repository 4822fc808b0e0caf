// IDX (MNIST / Fashion-MNIST) loading: small files written here with known values (raw and
// gzip), every kind of damage reported with the file name, and the real data sets when present.
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

using testing_support::tiny_be32;
using testing_support::tiny_write;

std::string idx_images(uint32_t n, uint32_t h, uint32_t w, const std::vector<uint8_t>& pixels) {
  return tiny_be32(0x803) + tiny_be32(n) + tiny_be32(h) + tiny_be32(w) + std::string(pixels.begin(), pixels.end());
}

std::string idx_labels(const std::vector<uint8_t>& labels) {
  return tiny_be32(0x801) + tiny_be32(static_cast<uint32_t>(labels.size())) +
         std::string(labels.begin(), labels.end());
}

// gzip with zlib's own writer (gzopen/gzwrite), independent of the loader's inflate code.
void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb9");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

using testing_support::expect_input_error;

// Three 2x3 images with pixel value 10 * image + position, labels 0, 9, 4.
const std::vector<uint8_t> kPixels = {0,  1,  2,  3,  4,  5,  10, 11, 12,
                                      13, 14, 15, 20, 21, 22, 23, 24, 25};
const std::vector<uint8_t> kLabels = {0, 9, 4};

void expect_small_dataset(const Dataset& d) {
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.height, 2);
  EXPECT_EQ(d.width, 3);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.sample_size(), 6);
  EXPECT_EQ(d.images, kPixels);
  EXPECT_EQ(d.labels, kLabels);
}

TEST(DataIdx, RawFilesKnownValues) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  tiny_write(dir + "/img", idx_images(3, 2, 3, kPixels));
  tiny_write(dir + "/lab", idx_labels(kLabels));
  Dataset d = load_idx_split("toy", dir + "/img", dir + "/lab", 10);
  expect_small_dataset(d);
  EXPECT_EQ(d.name, "toy");
  EXPECT_NE(d.source.find(dir + "/img"), std::string::npos);
}

TEST(DataIdx, GzipFilesFoundByBaseNameOrGivenDirectly) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  write_gz(dir + "/img.gz", idx_images(3, 2, 3, kPixels));
  write_gz(dir + "/lab.gz", idx_labels(kLabels));
  expect_small_dataset(load_idx_split("toy", dir + "/img", dir + "/lab", 10));
  expect_small_dataset(load_idx_split("toy", dir + "/img.gz", dir + "/lab.gz", 10));
}

TEST(DataIdx, ConcatenatedGzipMembersAreOneFile) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  std::string bytes = idx_images(3, 2, 3, kPixels);
  write_gz(dir + "/a.gz", bytes.substr(0, 10));
  write_gz(dir + "/b.gz", bytes.substr(10));
  std::string joined = read_file(dir + "/a.gz") + read_file(dir + "/b.gz");
  EXPECT_EQ(gunzip(joined, "joined"), bytes);
}

TEST(DataIdx, GzipBombStopsAtTheSizeTheHeaderDeclares) {
  // A valid label header (3 labels) and 64 MiB of zeros, about 64 KiB compressed: decompression
  // stops at the 11 bytes the header declares instead of inflating the whole stream first.
  testing_support::TempDir tmp("idx");
  const std::string dir = tmp.path;
  write_gz(dir + "/lab.gz", idx_labels(kLabels) + std::string(size_t{64} << 20, '\0'));
  write_gz(dir + "/img.gz", idx_images(3, 2, 3, kPixels));
  expect_input_error([&] { load_idx_split("toy", dir + "/img.gz", dir + "/lab.gz", 10); },
                     {dir + "/lab.gz", "decompresses to more than the 11 bytes its header declares"});
  // The same limit for the prefix reader and for gunzip itself.
  const std::string bomb = read_file(dir + "/lab.gz");
  EXPECT_EQ(gunzip_prefix(bomb, "b", 8), idx_labels(kLabels).substr(0, 8));
  expect_input_error([&] { gunzip(bomb, "b", 1000); }, {"b: decompresses to more than the 1000 bytes"});
  // A header that declares more data than int64 holds is an error before anything is inflated.
  write_gz(dir + "/huge.gz",
           tiny_be32(0x803) + tiny_be32(0xffffffffu) + tiny_be32(0xffffffffu) + tiny_be32(0xffffffffu));
  expect_input_error([&] { load_idx_split("toy", dir + "/huge.gz", dir + "/lab.gz", 10); }, {dir + "/huge.gz"});
}

TEST(DataIdx, DeclaredSizesBeyondMemoryAreRejectedBeforeInflating) {
  // Found by fuzz_idx (out of memory): 124 gzip bytes whose IDX header declares 3 images of
  // 16777215 x 4294967295 pixels and whose trailer claims 2.3 GB; the reader reserved that much.
  testing_support::TempDir tmp("idx");
  const std::string dir = tmp.path;
  write_gz(dir + "/img.gz", tiny_be32(0x803) + tiny_be32(3) + tiny_be32(0x00ffffffu) + tiny_be32(0xffffffffu) +
                               std::string(93, '\xff'));
  write_gz(dir + "/lab.gz", idx_labels(kLabels));
  expect_input_error([&] { load_idx_split("toy", dir + "/img.gz", dir + "/lab.gz", 10); },
                     {dir + "/img.gz", "implausible image size 16777215x4294967295"});
  // Plausible images, but more of them than this machine's memory holds.
  write_gz(dir + "/many.gz", tiny_be32(0x803) + tiny_be32(0xffffffffu) + tiny_be32(4096) + tiny_be32(4096));
  expect_input_error([&] { load_idx_split("toy", dir + "/many.gz", dir + "/lab.gz", 10); },
                     {dir + "/many.gz", "bytes its header declares need", "memory"});
}

TEST(DataIdx, HeaderProblemsNameTheFile) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  std::string img = dir + "/img", lab = dir + "/lab";
  tiny_write(lab, idx_labels(kLabels));

  tiny_write(img, tiny_be32(0x801) + tiny_be32(3) + tiny_be32(2) + tiny_be32(3) + std::string(18, '\0'));
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {img, "bad magic"});

  tiny_write(img, idx_images(3, 2, 3, kPixels).substr(0, 10));
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {img, "truncated"});

  tiny_write(img, idx_images(3, 2, 3, kPixels).substr(0, 16 + 17));
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {img, "truncated"});

  tiny_write(img, idx_images(3, 2, 3, kPixels) + "x");
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {img, "trailing"});
}

TEST(DataIdx, LabelProblemsNameTheFile) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  std::string img = dir + "/img", lab = dir + "/lab";
  tiny_write(img, idx_images(3, 2, 3, kPixels));

  tiny_write(lab, idx_labels({0, 9}));
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {lab, "2 labels", "3 images"});

  tiny_write(lab, idx_labels({0, 10, 4}));
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {lab, "out of range"});

  tiny_write(lab, tiny_be32(0x803) + tiny_be32(3) + "abc");
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {lab, "bad magic"});
}

TEST(DataIdx, BadGzipNamesTheFile) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  std::string img = dir + "/img.gz", lab = dir + "/lab";
  tiny_write(lab, idx_labels(kLabels));
  write_gz(img, idx_images(3, 2, 3, kPixels));
  std::string good = read_file(img);

  tiny_write(img, good.substr(0, good.size() - 12));
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {img, "truncated gzip"});

  std::string flipped = good;
  flipped[good.size() - 6] = static_cast<char>(flipped[good.size() - 6] ^ 0x5a);  // length field
  tiny_write(img, flipped);
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {img, "corrupt gzip"});

  tiny_write(img, "plain text, not gzip at all");
  expect_input_error([&] { load_idx_split("toy", img, lab, 10); }, {img, "not a gzip"});
}

TEST(DataIdx, MissingDataSaysHowToGetIt) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  expect_input_error([&] { load_dataset(DatasetId::Mnist, dir); },
                     {dir + "/mnist/train-images-idx3-ubyte", "scripts/fetch-data.sh mnist"});
  expect_input_error([&] { load_dataset(DatasetId::FashionMnist, dir); },
                     {dir + "/fashion-mnist/train-images-idx3-ubyte",
                      "apt-get install dataset-fashion-mnist"});
}

// The names of the data sets, as config files, --dataset and model files spell them.
TEST(DataIdx, DataSetNamesParseAndPrint) {
  EXPECT_EQ(parse_dataset("mnist", "k"), DatasetId::Mnist);
  EXPECT_EQ(parse_dataset("fashion_mnist", "k"), DatasetId::FashionMnist);
  EXPECT_EQ(parse_dataset("cifar10", "k"), DatasetId::Cifar10);
  EXPECT_STREQ(to_string(DatasetId::FashionMnist), "fashion_mnist");
  expect_input_error([] { parse_dataset("imagenet", "--dataset"); },
                     {"--dataset", "'imagenet' is not one of mnist, fashion_mnist, cifar10"});
}

TEST(DataIdx, WrongImageSizeForMnist) {
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  std::string m = dir + "/mnist/";
  std::filesystem::create_directories(m);
  for (const char* prefix : {"train", "t10k"}) {
    tiny_write(m + prefix + "-images-idx3-ubyte", idx_images(3, 2, 3, kPixels));
    tiny_write(m + prefix + "-labels-idx1-ubyte", idx_labels(kLabels));
  }
  expect_input_error([&] { load_dataset(DatasetId::Mnist, dir); }, {m + "train-images", "1x28x28"});
}

// --- Real data (used when present) ---

const std::string kMnistDir = std::string(BITBLOCK_SOURCE_DIR) + "/data/mnist";

bool have_real_mnist() {
  std::ifstream f(kMnistDir + "/t10k-labels-idx1-ubyte");
  std::ifstream g(kMnistDir + "/t10k-labels-idx1-ubyte.gz");
  return f.good() || g.good();
}

std::array<int, 10> histogram(const Dataset& d) {
  std::array<int, 10> h{};
  for (uint8_t l : d.labels) ++h[l];
  return h;
}

TEST(DataIdx, RealMnist) {
  if (!have_real_mnist()) GTEST_SKIP() << "no MNIST in " << kMnistDir;
  DataSplits s = load_dataset(DatasetId::Mnist, std::string(BITBLOCK_SOURCE_DIR) + "/data");
  EXPECT_EQ(s.train.size(), 60000);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.train.channels, 1);
  EXPECT_EQ(s.train.height, 28);
  EXPECT_EQ(s.train.width, 28);
  EXPECT_EQ(s.train.images.size(), 60000u * 784u);
  EXPECT_EQ(histogram(s.train),
            (std::array<int, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(histogram(s.test),
            (std::array<int, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  EXPECT_EQ(s.train.labels[0], 5);  // the well-known first training digit
  EXPECT_EQ(s.test.labels[0], 7);
  EXPECT_EQ(s.train.images[0], 0);  // corners are background
}

TEST(DataIdx, RealMnistCorruptedCopies) {
  if (!have_real_mnist()) GTEST_SKIP() << "no MNIST in " << kMnistDir;
  std::string images = read_maybe_gzip(kMnistDir + "/t10k-images-idx3-ubyte");
  std::string labels = read_maybe_gzip(kMnistDir + "/t10k-labels-idx1-ubyte");
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  std::string img = dir + "/images", lab = dir + "/labels";

  tiny_write(lab, labels);
  std::string bad_magic = images;
  bad_magic[3] = 0x01;
  tiny_write(img, bad_magic);
  expect_input_error([&] { load_idx_split("mnist", img, lab, 10); }, {img, "bad magic"});

  tiny_write(img, images.substr(0, images.size() - 784 / 2));
  expect_input_error([&] { load_idx_split("mnist", img, lab, 10); }, {img, "truncated"});

  tiny_write(img, images);
  std::string fewer = labels.substr(0, labels.size() - 1);
  fewer[7] = static_cast<char>(static_cast<uint8_t>(fewer[7]) - 1);  // 9999 labels, consistent header
  tiny_write(lab, fewer);
  expect_input_error([&] { load_idx_split("mnist", img, lab, 10); }, {lab, "9999 labels"});

  std::string out_of_range = labels;
  out_of_range[8 + 1234] = 11;
  tiny_write(lab, out_of_range);
  expect_input_error([&] { load_idx_split("mnist", img, lab, 10); }, {lab, "sample 1234"});

  std::string gz = dir + "/labels.gz";
  write_gz(gz, labels);
  std::string compressed = read_file(gz);
  for (size_t i = 20; i < 60; ++i) compressed[i] = static_cast<char>(compressed[i] ^ 0xff);
  tiny_write(gz, compressed);
  expect_input_error([&] { load_idx_split("mnist", img, gz, 10); }, {gz, "gzip"});
}

TEST(DataIdx, RealFashionMnistFromGzip) {
  const std::string installed = "/usr/share/datasets/fashion-mnist";
  std::ifstream probe(installed + "/t10k-labels-idx1-ubyte.gz");
  if (!probe.good()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  testing_support::TempDir tmp("idx");
  std::string dir = tmp.path;
  std::filesystem::create_directory_symlink(installed, dir + "/fashion-mnist");
  DataSplits s = load_dataset(DatasetId::FashionMnist, dir);
  EXPECT_EQ(s.train.size(), 60000);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.train.height, 28);
  // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(histogram(s.train)[static_cast<size_t>(c)], 6000);
    EXPECT_EQ(histogram(s.test)[static_cast<size_t>(c)], 1000);
  }
}

}  // namespace
}  // namespace bitblock
