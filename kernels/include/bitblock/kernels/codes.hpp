#pragma once
// k-bit integer codes packed into a byte stream (the value format of model files and of
// BsrWeights::packed). Stream layout: code i occupies stream bits [i*bits, i*bits+bits), stream
// bit j is bit (j % 8) of byte j / 8 (LSB first; a code may straddle two bytes). Unused trailing
// bits of the last byte are 0.
//  * bits 2..8: two's complement, values -2^(bits-1) .. 2^(bits-1)-1 (a code spans at most two
//    bytes).
//  * bits 1 (binary): stored bit 1 means +1, bit 0 means -1; the only legal values are +-1.
#include <cstdint>

#include "bitblock/kernels/kbit.hpp"  // code_min, code_max, code_at

namespace bitblock::kernels {

// True for the supported code widths: 1..8.
bool valid_code_bits(int bits);
// Bytes holding n codes: ceil(n * bits / 8).
int64_t packed_code_bytes(int64_t n, int bits);

// Packs codes[0..n) into out[0..packed_code_bytes(n, bits)) (every byte written). Values must
// be in range (binary: +-1); out-of-range values throw InputError naming `where`.
void pack_codes(const int8_t* codes, int64_t n, int bits, uint8_t* out, const char* where = "codes");
// Decodes n codes starting at code index `first` of a stream of `stream_bytes` bytes.
void unpack_codes(const uint8_t* packed, int64_t stream_bytes, int64_t first, int64_t n, int bits,
                  int8_t* codes);

}  // namespace bitblock::kernels
