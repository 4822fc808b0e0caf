#pragma once
// CRC32 (zlib's) of the headers and blobs of model files and checkpoints.
#include <cstddef>
#include <cstdint>

namespace bitblock {

uint32_t crc32_of(const void* data, size_t n);

// crc32_of(data, n) == expected. Fuzzing builds (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the
// libFuzzer convention) accept any CRC so mutated inputs reach the parsers behind the check.
bool crc32_matches(const void* data, size_t n, uint32_t expected);

}  // namespace bitblock
