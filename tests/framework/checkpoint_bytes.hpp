#pragma once
// Test helper: a saved checkpoint's header JSON and blob bytes, and the inverse (with a correct
// header CRC, or in the version 1 layout without one), for crafting damaged checkpoints that
// only the semantic checks can catch.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

namespace bitblock::testing_support {

struct Parts {
  nlohmann::json header;
  std::string blobs;
};

inline Parts split(const std::string& bytes) {
  uint64_t len = 0;
  std::memcpy(&len, bytes.data() + 8, 8);
  return {nlohmann::json::parse(bytes.substr(20, len)), bytes.substr(20 + len)};
}

inline std::string join(const Parts& p, uint32_t version = 2) {
  const std::string text = p.header.dump();
  const uint64_t len = text.size();
  const auto crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(len)));
  std::string out = "BBCK";
  out.append(reinterpret_cast<const char*>(&version), 4);
  out.append(reinterpret_cast<const char*>(&len), 8);
  if (version != 1) out.append(reinterpret_cast<const char*>(&crc), 4);
  return out + text + p.blobs;
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
    b["crc32"] = crc32(0L, reinterpret_cast<const Bytef*>(p.blobs.data() + off), static_cast<uInt>(bytes.size()));
  }
}

}  // namespace bitblock::testing_support
