// IDX files (the MNIST / Fashion-MNIST format): a big-endian header (magic 0x0000TTDD with type
// TT = 0x08 unsigned byte and DD dimensions, then DD 32-bit sizes) followed by the raw bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock {
namespace {

uint32_t read_be32(std::string_view bytes, size_t offset) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + offset;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex32(uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 15u];
  return s;
}

// Checks magic and header length, returns the dimension sizes.
std::vector<uint32_t> read_header(std::string_view bytes, uint32_t dims, const char* what,
                                  const std::string& where) {
  if (bytes.size() < 4) fail_input(where, "truncated IDX file (no header)");
  uint32_t expected_magic = 0x00000800u | dims;
  uint32_t magic = read_be32(bytes, 0);
  if (magic != expected_magic)
    fail_input(where, std::string("bad magic ") + hex32(magic) + " (expected " +
                          hex32(expected_magic) + " for " + what + ")");
  if (bytes.size() < 4 + 4 * size_t{dims}) fail_input(where, "truncated IDX header");
  std::vector<uint32_t> sizes(dims);
  for (uint32_t i = 0; i < dims; ++i) sizes[i] = read_be32(bytes, 4 + 4 * size_t{i});
  return sizes;
}

// Image dimensions of an IDX image file's header (count, height, width), sizes checked.
std::vector<uint32_t> image_dims(std::string_view bytes, const std::string& where) {
  std::vector<uint32_t> dims = read_header(bytes, 3, "an image file", where);
  if (dims[1] == 0 || dims[2] == 0 || dims[1] > 4096 || dims[2] > 4096)
    fail_input(where, "implausible image size " + std::to_string(dims[1]) + "x" +
                          std::to_string(dims[2]));
  return dims;
}

std::vector<uint32_t> label_dims(std::string_view bytes, const std::string& where) {
  return read_header(bytes, 1, "a label file", where);
}

// Header plus data bytes an IDX header declares, which must fit in memory (a gzip stream is
// inflated no further).
DeclaredSize idx_size(size_t header_bytes, std::vector<uint32_t> (*dims)(std::string_view, const std::string&)) {
  return {header_bytes, [dims](std::string_view header, const std::string& where) {
            const std::vector<uint32_t> d = dims(header, where);
            const int64_t data = checked_product(std::vector<int64_t>(d.begin(), d.end()), where,
                                                 "the data its header declares");
            const int64_t total = checked_add(data, static_cast<int64_t>(header.size()), where, "the file");
            check_fits_memory(total, where, "the " + std::to_string(total) + " bytes its header declares");
            return static_cast<uint64_t>(total);
          }};
}

void check_payload(std::string_view bytes, size_t header, uint64_t expected,
                   const std::string& where) {
  uint64_t have = bytes.size() - header;
  if (have < expected)
    fail_input(where, "truncated: header promises " + std::to_string(expected) +
                          " data bytes, file has " + std::to_string(have));
  if (have > expected)
    fail_input(where, "unexpected " + std::to_string(have - expected) +
                          " trailing bytes after the data the header describes");
}

}  // namespace

IdxImages parse_idx_images(std::string_view bytes, const std::string& where) {
  std::vector<uint32_t> dims = image_dims(bytes, where);
  uint64_t payload = uint64_t{dims[0]} * dims[1] * dims[2];
  check_payload(bytes, 16, payload, where);
  IdxImages out;
  out.count = dims[0];
  out.height = static_cast<int>(dims[1]);
  out.width = static_cast<int>(dims[2]);
  out.pixels.assign(bytes.begin() + 16, bytes.end());
  return out;
}

std::vector<uint8_t> parse_idx_labels(std::string_view bytes, const std::string& where) {
  std::vector<uint32_t> dims = label_dims(bytes, where);
  check_payload(bytes, 8, dims[0], where);
  return std::vector<uint8_t>(bytes.begin() + 8, bytes.end());
}

Dataset load_idx_split(const std::string& name, const std::string& images_path,
                       const std::string& labels_path, int num_classes) {
  auto resolved = [](const std::string& path) {
    return file_exists(path) || !file_exists(path + ".gz") ? path : path + ".gz";
  };
  std::string images_file = resolved(images_path);
  std::string labels_file = resolved(labels_path);
  IdxImages images = parse_idx_images(read_maybe_gzip(images_file, idx_size(16, image_dims)), images_file);
  std::vector<uint8_t> labels = parse_idx_labels(read_maybe_gzip(labels_file, idx_size(8, label_dims)), labels_file);
  if (static_cast<int64_t>(labels.size()) != images.count)
    fail_input(labels_file, "has " + std::to_string(labels.size()) + " labels but " +
                                images_file + " has " + std::to_string(images.count) + " images");
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= num_classes)
      fail_input(labels_file, "label " + std::to_string(labels[i]) + " of sample " +
                                  std::to_string(i) + " is out of range (expected 0.." +
                                  std::to_string(num_classes - 1) + ")");
  Dataset d;
  d.name = name;
  d.source = images_file + " + " + labels_file;
  d.channels = 1;
  d.height = images.height;
  d.width = images.width;
  d.num_classes = num_classes;
  d.images = std::move(images.pixels);
  d.labels = std::move(labels);
  return d;
}

}  // namespace bitblock
