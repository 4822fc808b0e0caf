#pragma once
// Test helper: a serialised model file's JSON header and data section, and the inverse (with a
// correct header CRC), for crafting damaged model files that only the parser's checks can catch.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace bitblock::testing::model_bytes {

struct Split {
  nlohmann::json header;
  std::string data;
};

// Version 2: magic, version, header length, header CRC (20 bytes), header, 64-aligned data.
inline Split split(const std::string& bytes) {
  uint64_t len = 0;
  std::memcpy(&len, bytes.data() + 8, 8);
  const size_t start = (20 + len + 63) / 64 * 64;
  return {nlohmann::json::parse(bytes.substr(20, len)), bytes.substr(start)};
}

// Any header text (valid JSON or not) with a correct header CRC, so only the parser can object.
inline std::string join_text(const std::string& text, const std::string& data, uint32_t version = 2) {
  std::string out(20, '\0');
  std::memcpy(out.data(), "BBM1", 4);
  const uint64_t len = text.size();
  const auto crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(len)));
  std::memcpy(out.data() + 4, &version, 4);
  std::memcpy(out.data() + 8, &len, 8);
  std::memcpy(out.data() + 16, &crc, 4);
  out += text;
  out.resize((out.size() + 63) / 64 * 64, '\0');
  return out + data;
}

inline std::string join(const Split& s) { return join_text(s.header.dump(), s.data); }

inline nlohmann::json& blob_entry(nlohmann::json& header, const std::string& name) {
  for (nlohmann::json& b : header["blobs"])
    if (b["name"] == name) return b;
  throw std::runtime_error("no blob " + name);
}

// Overwrites bytes of a blob and fixes its CRC, so only the semantic check can catch it.
inline void patch_blob(Split& s, const std::string& name, size_t at, const void* bytes, size_t n) {
  nlohmann::json& b = blob_entry(s.header, name);
  const size_t off = b["offset"].get<size_t>();
  std::memcpy(s.data.data() + off + at, bytes, n);
  b["crc32"] = crc32(0L, reinterpret_cast<const Bytef*>(s.data.data() + off), b["size"].get<uInt>());
}

}  // namespace bitblock::testing::model_bytes
