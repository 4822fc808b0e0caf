// IDX image and label files, raw or gzip-compressed, through load_idx_split. Input: one flag
// byte (bit 0: images gzipped, bit 1: labels gzipped), a 4-byte little-endian length of the
// image file, the image file, then the label file.
#include <cstdint>
#include <cstring>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  if (size < 5) return 0;
  uint32_t image_bytes = 0;
  std::memcpy(&image_bytes, data + 1, 4);
  const size_t rest = size - 5;
  const size_t n = image_bytes < rest ? image_bytes : rest;
  const std::string images = fuzz::write_temp(data[0] & 1 ? "images.gz" : "images", fuzz::as_string(data + 5, n));
  const std::string labels =
      fuzz::write_temp(data[0] & 2 ? "labels.gz" : "labels", fuzz::as_string(data + 5 + n, rest - n));
  try {
    load_idx_split("fuzz", images, labels, 10);
  } catch (const InputError&) {
  }
  return 0;
}
