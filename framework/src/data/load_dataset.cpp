// Maps a data set name to its files under the data directory, says how to get them when they
// are missing, and checks the loaded splits have the data set's shape.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock {
namespace {

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

void require_idx_file(const std::string& path, const std::string& how_to_get) {
  if (file_exists(path) || file_exists(path + ".gz")) return;
  fail_input(path, "missing (neither it nor " + path + ".gz exists); " + how_to_get);
}

void check_shape(const Dataset& d, int channels, int side) {
  if (d.channels != channels || d.height != side || d.width != side)
    fail_input(d.source, d.name + " images must be " + std::to_string(channels) + "x" +
                             std::to_string(side) + "x" + std::to_string(side) + ", found " +
                             std::to_string(d.channels) + "x" + std::to_string(d.height) + "x" +
                             std::to_string(d.width));
  if (d.size() == 0) fail_input(d.source, "holds no samples");
}

DataSplits load_idx_dataset(const std::string& name, const std::string& dir,
                            const std::string& how_to_get) {
  const char* prefixes[2] = {"train", "t10k"};
  for (const char* prefix : prefixes) {
    require_idx_file(join(dir, std::string(prefix) + "-images-idx3-ubyte"), how_to_get);
    require_idx_file(join(dir, std::string(prefix) + "-labels-idx1-ubyte"), how_to_get);
  }
  DataSplits s;
  s.train = load_idx_split(name, join(dir, "train-images-idx3-ubyte"),
                           join(dir, "train-labels-idx1-ubyte"), 10);
  s.test = load_idx_split(name, join(dir, "t10k-images-idx3-ubyte"),
                          join(dir, "t10k-labels-idx1-ubyte"), 10);
  check_shape(s.train, 1, 28);
  check_shape(s.test, 1, 28);
  return s;
}

constexpr int64_t kCifarBatchBytes = int64_t{10000} * 3073;

DataSplits load_cifar10(const std::string& data_dir) {
  std::string dir = join(data_dir, "cifar-10-batches-bin");
  std::vector<std::string> train;
  for (int i = 1; i <= 5; ++i) train.push_back(join(dir, "data_batch_" + std::to_string(i) + ".bin"));
  std::vector<std::string> test = {join(dir, "test_batch.bin")};
  for (const auto* list : {&train, &test})
    for (const std::string& path : *list) {
      if (!file_exists(path))
        fail_input(path, "missing; get CIFAR-10 with `scripts/fetch-data.sh cifar10 --data-dir " +
                             data_dir + "`");
      // Every batch of the data set holds exactly 10,000 records: a file cut at a record
      // boundary is otherwise a valid, smaller batch (45,000 training samples, silently).
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size != kCifarBatchBytes)
        fail_input(path, "holds " + std::to_string(st.st_size) + " bytes, a CIFAR-10 batch holds " +
                             std::to_string(kCifarBatchBytes) + " (10000 records of 3073 bytes): truncated or not CIFAR-10");
    }
  DataSplits s;
  s.train = load_cifar10_batches("cifar10", train);
  s.test = load_cifar10_batches("cifar10", test);
  check_shape(s.train, 3, 32);
  check_shape(s.test, 3, 32);
  return s;
}

}  // namespace

DataSplits load_dataset(DatasetId id, const std::string& data_dir) {
  switch (id) {
    case DatasetId::Mnist:
      return load_idx_dataset(to_string(id), join(data_dir, "mnist"),
                              "get MNIST with `scripts/fetch-data.sh mnist --data-dir " + data_dir + "`");
    case DatasetId::FashionMnist:
      return load_idx_dataset(
          to_string(id), join(data_dir, "fashion-mnist"),
          "install Fashion-MNIST with `apt-get install dataset-fashion-mnist` (files in "
          "/usr/share/datasets/fashion-mnist), then link it with `scripts/fetch-data.sh "
          "fashion_mnist --data-dir " + data_dir + "`");
    case DatasetId::Cifar10:
      return load_cifar10(data_dir);
  }
  throw std::logic_error("load_dataset: not a DatasetId");
}

}  // namespace bitblock
