#include "bitblock/common/crc32.hpp"

#include <zlib.h>

#include <algorithm>

namespace bitblock {

uint32_t crc32_of(const void* data, size_t n) {
  // zlib takes uInt lengths: feed it in chunks so blobs over 4 GiB are fine.
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(n, size_t{1} << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

bool crc32_matches(const void* data, size_t n, uint32_t expected) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)data;
  (void)n;
  (void)expected;
  return true;
#else
  return crc32_of(data, n) == expected;
#endif
}

}  // namespace bitblock
