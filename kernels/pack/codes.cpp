#include "bitblock/kernels/codes.hpp"

#include <cstring>
#include <string>

#include "bitblock/common/error.hpp"

namespace bitblock::kernels {

bool valid_code_bits(int bits) { return bits >= 1 && bits <= 8; }

int code_min(int bits) { return bits == 1 ? -1 : -(1 << (bits - 1)); }
int code_max(int bits) { return bits == 1 ? 1 : (1 << (bits - 1)) - 1; }

int64_t packed_code_bytes(int64_t n, int bits) { return (n * bits + 7) / 8; }

void pack_codes(const int8_t* codes, int64_t n, int bits, uint8_t* out, const char* where) {
  if (!valid_code_bits(bits)) fail_input(where, "unsupported code width " + std::to_string(bits));
  const int64_t bytes = packed_code_bytes(n, bits);
  if (bytes > 0) std::memset(out, 0, static_cast<size_t>(bytes));  // out may be null when n == 0
  const int lo = code_min(bits), hi = code_max(bits);
  const unsigned field = (1u << bits) - 1u;
  for (int64_t i = 0; i < n; ++i) {
    const int v = codes[i];
    if (v < lo || v > hi || (bits == 1 && v == 0)) {
      fail_input(where, "code " + std::to_string(v) + " at index " + std::to_string(i) + " does not fit " +
                            std::to_string(bits) + " bits");
    }
    const unsigned raw = bits == 1 ? (v > 0 ? 1u : 0u) : (static_cast<unsigned>(v) & field);
    const int64_t bit = i * bits;
    const unsigned shifted = raw << (bit & 7);
    out[bit >> 3] = static_cast<uint8_t>(out[bit >> 3] | (shifted & 0xffu));
    if ((bit & 7) + bits > 8) out[(bit >> 3) + 1] = static_cast<uint8_t>(out[(bit >> 3) + 1] | (shifted >> 8));
  }
}

void unpack_codes(const uint8_t* packed, int64_t stream_bytes, int64_t first, int64_t n, int bits,
                  int8_t* codes) {
  const unsigned field = (1u << bits) - 1u;
  const int extend = 32 - bits;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = (first + i) * bits;
    const int64_t byte = bit >> 3;
    unsigned window = packed[byte];
    if (byte + 1 < stream_bytes) window |= static_cast<unsigned>(packed[byte + 1]) << 8;
    const unsigned raw = (window >> (bit & 7)) & field;
    codes[i] = bits == 1 ? static_cast<int8_t>(raw ? 1 : -1)
                         : static_cast<int8_t>(static_cast<int32_t>(raw << extend) >> extend);
  }
}

}  // namespace bitblock::kernels
