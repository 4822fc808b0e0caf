#include "bitblock/common/memory.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {

std::string gib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / double(int64_t{1} << 30));
  return buf;
}

int64_t rlimit_bytes(int resource) {
  struct rlimit r {};
  if (::getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY || r.rlim_cur > static_cast<rlim_t>(INT64_MAX))
    return INT64_MAX;
  return static_cast<int64_t>(r.rlim_cur);
}

// cgroup v2: /proc/self/cgroup holds "0::<path>"; the limit is <mount>/<path>/memory.max ("max"
// when unlimited). Absent files (cgroup v1, no cgroup mount) mean no limit known.
int64_t cgroup_limit_bytes() {
  std::ifstream self("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(self, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  if (path.empty()) return INT64_MAX;
  std::ifstream max_file("/sys/fs/cgroup" + (path == "/" ? std::string() : path) + "/memory.max");
  std::string value;
  if (!(max_file >> value) || value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
      value.size() > 18)
    return INT64_MAX;
  return std::stoll(value);
}

}  // namespace

int64_t memory_limit_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const int64_t physical = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : INT64_MAX;
  return std::min({physical, rlimit_bytes(RLIMIT_AS), rlimit_bytes(RLIMIT_DATA), cgroup_limit_bytes()});
}

void check_fits_memory(int64_t bytes, const std::string& where, const std::string& what) {
  const int64_t memory = memory_limit_bytes();
  if (bytes > memory)
    fail_input(where, what + " need " + gib(bytes) + ", more than the " + gib(memory) + " of memory this process may use");
}

}  // namespace bitblock
