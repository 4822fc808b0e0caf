#pragma once
// Test fixtures for training runs: a temporary folder, a tiny synthetic data set written in
// MNIST's IDX format (so the real loader reads it), a small quantized MLP config that trains on
// it in milliseconds, and a check for InputError messages.
//
// Data: class c lights a 6x6 square at its own place on a 5x2 grid (brightness 150..255, jittered
// by up to 1 pixel) over uniform background noise 0..59, so a linear layer separates the classes
// and a few training steps move the loss.
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bitblock/common/error.hpp"
#include "bitblock/common/rng.hpp"
#include "framework/tiny_mlp_config.hpp"

namespace bitblock::testing_support {

// mkdtemp folder, removed with everything in it when the object goes.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& tag = "run") {
    std::string pattern = ::testing::TempDir() + "bitblock_" + tag + "_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline std::string tiny_be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

inline void tiny_write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

struct TinySplit {
  std::vector<uint8_t> pixels;  // n * 28 * 28
  std::vector<uint8_t> labels;
};

inline TinySplit make_tiny_split(int n, uint64_t seed) {
  TinySplit s;
  s.pixels.resize(static_cast<size_t>(n) * 784);
  s.labels.resize(static_cast<size_t>(n));
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.below(10));
    s.labels[static_cast<size_t>(i)] = static_cast<uint8_t>(label);
    uint8_t* img = s.pixels.data() + static_cast<size_t>(i) * 784;
    for (int p = 0; p < 784; ++p) img[p] = static_cast<uint8_t>(rng.below(60));
    const int top = 3 + 5 * (label % 5) + static_cast<int>(rng.below(3)) - 1;
    const int left = 4 + 12 * (label / 5) + static_cast<int>(rng.below(3)) - 1;
    for (int y = top; y < top + 6; ++y)
      for (int x = left; x < left + 6; ++x) img[y * 28 + x] = static_cast<uint8_t>(150 + rng.below(106));
  }
  return s;
}

inline std::string idx_images_bytes(const TinySplit& s) {
  return tiny_be32(0x803) + tiny_be32(static_cast<uint32_t>(s.labels.size())) + tiny_be32(28) + tiny_be32(28) +
         std::string(s.pixels.begin(), s.pixels.end());
}

inline std::string idx_labels_bytes(const TinySplit& s) {
  return tiny_be32(0x801) + tiny_be32(static_cast<uint32_t>(s.labels.size())) +
         std::string(s.labels.begin(), s.labels.end());
}

// Writes <data_dir>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte, the layout
// load_dataset(DatasetId::Mnist, data_dir) reads.
inline void write_tiny_mnist(const std::string& data_dir, int train = 300, int test = 100, uint64_t seed = 7) {
  const std::string dir = data_dir + "/mnist";
  std::filesystem::create_directories(dir);
  const TinySplit tr = make_tiny_split(train, seed);
  const TinySplit te = make_tiny_split(test, seed + 1000);
  tiny_write(dir + "/train-images-idx3-ubyte", idx_images_bytes(tr));
  tiny_write(dir + "/train-labels-idx1-ubyte", idx_labels_bytes(tr));
  tiny_write(dir + "/t10k-images-idx3-ubyte", idx_images_bytes(te));
  tiny_write(dir + "/t10k-labels-idx1-ubyte", idx_labels_bytes(te));
}

// Runs f; expects an InputError whose message holds every fragment.
template <typename F>
void expect_input_error(F&& f, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no InputError (expected one naming " << (fragments.empty() ? "" : fragments.front()) << ")";
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const std::string& frag : fragments)
      EXPECT_NE(what.find(frag), std::string::npos) << "'" << frag << "' missing from: " << what;
  }
}

}  // namespace bitblock::testing_support
