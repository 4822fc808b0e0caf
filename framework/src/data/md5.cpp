// MD5 as specified in RFC 1321, written from the specification.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "bitblock/framework/dataset.hpp"

namespace bitblock {
namespace {

constexpr std::array<uint32_t, 16> kShift = {7, 12, 17, 22, 5, 9, 14, 20,
                                             4, 11, 16, 23, 6, 10, 15, 21};

// T[i] = floor(2^32 * |sin(i + 1)|), the RFC's table (computed once; double precision is
// exact enough for all 64 entries).
std::array<uint32_t, 64> make_sine_table() {
  std::array<uint32_t, 64> t{};
  for (int i = 0; i < 64; ++i)
    t[i] = static_cast<uint32_t>(std::floor(4294967296.0 * std::fabs(std::sin(i + 1.0))));
  return t;
}

uint32_t rotl(uint32_t x, uint32_t s) { return (x << s) | (x >> (32 - s)); }

void process_block(const uint8_t* block, const std::array<uint32_t, 64>& t, uint32_t* h) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i)
    m[i] = uint32_t{block[4 * i]} | (uint32_t{block[4 * i + 1]} << 8) |
           (uint32_t{block[4 * i + 2]} << 16) | (uint32_t{block[4 * i + 3]} << 24);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  for (int i = 0; i < 64; ++i) {
    uint32_t f;
    int g;
    int round = i / 16;
    if (round == 0) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (round == 1) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (round == 2) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    uint32_t rotated = rotl(a + f + t[i] + m[g], kShift[round * 4 + i % 4]);
    a = d;
    d = c;
    c = b;
    b = b + rotated;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
}

}  // namespace

std::string md5_hex(std::string_view bytes) {
  static const std::array<uint32_t, 64> t = make_sine_table();
  uint32_t h[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t full = bytes.size() / 64 * 64;
  for (size_t off = 0; off < full; off += 64) process_block(data + off, t, h);

  // Padding: 0x80, zeros to 56 mod 64, then the bit length little-endian.
  uint8_t tail[128] = {};
  size_t rest = bytes.size() - full;
  std::memcpy(tail, data + full, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest < 56 ? 64 : 128;
  uint64_t bits = static_cast<uint64_t>(bytes.size()) * 8u;
  for (int i = 0; i < 8; ++i) tail[tail_len - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  for (size_t off = 0; off < tail_len; off += 64) process_block(tail + off, t, h);

  static const char* hex = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    auto byte = static_cast<uint8_t>(h[i / 4] >> (8 * (i % 4)));
    out[2 * i] = hex[byte >> 4];
    out[2 * i + 1] = hex[byte & 15];
  }
  return out;
}

}  // namespace bitblock
