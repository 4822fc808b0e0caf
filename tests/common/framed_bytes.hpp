#pragma once
// Test helper for the two framed file formats (checkpoint.bbc, model.bbm): magic (4 bytes),
// version (4), header length (8), header CRC32 (4; checkpoints of version 1 have none), the JSON
// header, then the data from the next multiple of `align`. Splitting and re-framing let tests
// craft damaged files that only the semantic checks can catch.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace bitblock::testing_support {

inline uint32_t crc_of(const char* p, size_t n) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

// The header (parsed) and the data of a version-2 file.
inline std::pair<nlohmann::json, std::string> split_framed(const std::string& bytes, size_t align) {
  uint64_t len = 0;
  std::memcpy(&len, bytes.data() + 8, 8);
  const size_t start = (20 + len + align - 1) / align * align;
  return {nlohmann::json::parse(bytes.substr(20, len)), bytes.substr(start)};
}

// Any header text (valid JSON or not) framed with a correct CRC, so only the parser can object.
inline std::string frame(const char* magic, uint32_t version, const std::string& text, bool with_crc, size_t align,
                         const std::string& data) {
  const uint64_t len = text.size();
  const uint32_t crc = crc_of(text.data(), text.size());
  std::string out(magic, 4);
  out.append(reinterpret_cast<const char*>(&version), 4);
  out.append(reinterpret_cast<const char*>(&len), 8);
  if (with_crc) out.append(reinterpret_cast<const char*>(&crc), 4);
  out += text;
  out.resize((out.size() + align - 1) / align * align, '\0');
  return out + data;
}

}  // namespace bitblock::testing_support
