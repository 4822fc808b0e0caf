#include "bitblock/kernels/codes.hpp"

#include <cstring>
#include <string>

#include "bitblock/common/error.hpp"

namespace bitblock::kernels {

bool valid_code_bits(int bits) { return bits >= 1 && bits <= 8; }

int64_t packed_code_bytes(int64_t n, int bits) { return (n * bits + 7) / 8; }

void pack_codes(const int8_t* codes, int64_t n, int bits, uint8_t* out, const char* where) {
  if (!valid_code_bits(bits)) fail_input(where, "unsupported code width " + std::to_string(bits));
  const int64_t bytes = packed_code_bytes(n, bits);
  if (bytes > 0) std::memset(out, 0, static_cast<size_t>(bytes));  // out may be null when n == 0
  const int lo = code_min(bits), hi = code_max(bits);
  for (int64_t i = 0; i < n; ++i) {
    const int v = codes[i];
    if (v < lo || v > hi || (bits == 1 && v == 0)) {
      fail_input(where, "code " + std::to_string(v) + " at index " + std::to_string(i) + " does not fit " +
                            std::to_string(bits) + " bits");
    }
    const unsigned raw = encode_code(v, bits);
    const int64_t bit = i * bits;
    const unsigned shifted = raw << (bit & 7);
    out[bit >> 3] = static_cast<uint8_t>(out[bit >> 3] | (shifted & 0xffu));
    if ((bit & 7) + bits > 8) out[(bit >> 3) + 1] = static_cast<uint8_t>(out[(bit >> 3) + 1] | (shifted >> 8));
  }
}

void unpack_codes(const uint8_t* packed, int64_t stream_bytes, int64_t first, int64_t n, int bits,
                  int8_t* codes) {
  for (int64_t i = 0; i < n; ++i) codes[i] = static_cast<int8_t>(code_at(packed, stream_bytes, first + i, bits));
}

}  // namespace bitblock::kernels
