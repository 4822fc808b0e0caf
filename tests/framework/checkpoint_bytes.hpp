#pragma once
// Test helper: a saved checkpoint's header JSON and blob bytes, and the inverse (with a correct
// header CRC, or in the version 1 layout without one), for crafting damaged checkpoints that
// only the semantic checks can catch.
#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/framed_bytes.hpp"

namespace bitblock::testing_support {

struct Parts {
  nlohmann::json header;
  std::string blobs;
};

inline Parts split(const std::string& bytes) {
  auto [header, blobs] = split_framed(bytes, 1);
  return {std::move(header), std::move(blobs)};
}

inline std::string join(const Parts& p, uint32_t version = 2) {
  return frame("BBCK", version, p.header.dump(), version != 1, 1, p.blobs);
}

// The blob bytes of a named entry inside Parts::blobs (offset, size).
inline std::pair<size_t, size_t> blob_range(const Parts& p, const std::string& kind, const std::string& name) {
  for (const auto& b : p.header["blobs"])
    if (b["kind"] == kind && b["name"] == name) return {b["offset"].get<size_t>(), b["bytes"].get<size_t>()};
  return {0, 0};
}

// Rewrites a blob's bytes in place and fixes its CRC.
inline void patch_blob(Parts& p, const std::string& kind, const std::string& name, const std::string& bytes) {
  for (auto& b : p.header["blobs"]) {
    if (b["kind"] != kind || b["name"] != name) continue;
    const size_t off = b["offset"].get<size_t>();
    p.blobs.replace(off, bytes.size(), bytes);
    b["crc32"] = crc_of(p.blobs.data() + off, bytes.size());
  }
}

}  // namespace bitblock::testing_support
