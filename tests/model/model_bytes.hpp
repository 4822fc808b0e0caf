#pragma once
// Test helper: a serialised model file's JSON header and data section, and the inverse (with a
// correct header CRC), for crafting damaged model files that only the parser's checks can catch.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/framed_bytes.hpp"

namespace bitblock::testing::model_bytes {

struct Split {
  nlohmann::json header;
  std::string data;
};

// Version 2: magic, version, header length, header CRC (20 bytes), header, 64-aligned data.
inline Split split(const std::string& bytes) {
  auto [header, data] = testing_support::split_framed(bytes, 64);
  return {std::move(header), std::move(data)};
}

// Any header text (valid JSON or not) with a correct header CRC, so only the parser can object.
inline std::string join_text(const std::string& text, const std::string& data, uint32_t version = 2) {
  return testing_support::frame("BBM1", version, text, true, 64, data);
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
  b["crc32"] = testing_support::crc_of(s.data.data() + off, b["size"].get<size_t>());
}

}  // namespace bitblock::testing::model_bytes
