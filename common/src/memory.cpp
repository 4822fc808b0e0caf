#include "bitblock/common/memory.hpp"

#include <unistd.h>

#include <cstdio>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {
std::string gib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / double(int64_t{1} << 30));
  return buf;
}
}  // namespace

int64_t physical_memory_bytes() {
  static const int64_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : INT64_MAX;
  }();
  return bytes;
}

void check_fits_memory(int64_t bytes, const std::string& where, const std::string& what) {
  const int64_t memory = physical_memory_bytes();
  if (bytes > memory) fail_input(where, what + " need " + gib(bytes) + ", more than this machine's " + gib(memory) + " of memory");
}

}  // namespace bitblock
