#pragma once
// What the fuzz targets share: the input as parts, a private temporary folder for readers that
// take paths, and a size bound for networks a target builds.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bitblock/framework/config.hpp"

namespace bitblock::fuzz {

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The input cut at NUL bytes (text formats: a file, then its companions or --set overrides).
inline std::vector<std::string> parts(const uint8_t* data, size_t size) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) out.emplace_back();
    else out.back() += static_cast<char>(data[i]);
  }
  return out;
}

// A folder of this process, removed at exit (libFuzzer ends with exit(), which runs the
// destructor of the static below).
inline const std::string& temp_dir() {
  struct Folder {
    std::string path = (std::filesystem::temp_directory_path() / "bitblock_fuzz_XXXXXX").string();
    Folder() {
      if (!mkdtemp(path.data())) std::abort();
    }
    ~Folder() { std::filesystem::remove_all(path); }
  };
  static const Folder folder;
  return folder.path;
}

inline std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Networks the config and checkpoint targets build: at most 64 outputs per layer and 8x8
// kernels keep every model in a few MiB (the readers allow what fits in memory, which would
// make libFuzzer's memory limit, not a bug, the finding).
inline bool small_network(const ExperimentConfig& c) {
  for (const LayerConfig& l : c.layers)
    if (l.out > 64 || l.kernel > 8) return false;
  return true;
}

}  // namespace bitblock::fuzz
