// Recycled host buffers of floats (array.hpp: detail::host_floats). The training step makes and
// drops tensors of the same sizes every step; handing a dropped buffer to the next tensor of its
// size saves a fresh vector's zero-fill, and for buffers the allocator maps afresh each time (over
// 32 MiB: evaluation batches) the page faults too. Buffers are matched by exact size, the most
// recently returned first; the pool holds at most kPoolBytes and drops the least recently returned
// buffers beyond that.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <mutex>
#include <utility>
#include <vector>

#include "bitblock/framework/array.hpp"

namespace bitblock::detail {

namespace {

// Smaller buffers come from malloc's own free lists cheaply; these are worth keeping.
constexpr size_t kPoolMinFloats = size_t{1} << 14;    // 64 KiB
constexpr size_t kPoolBytes = size_t{512} << 20;      // about one evaluation batch's activations

struct HostPool {
  std::mutex mutex;
  std::vector<std::vector<float>> kept;  // oldest first
  size_t bytes = 0;
};

// Never destroyed: arrays of static objects may return their buffers after exit has begun.
HostPool& pool() {
  static HostPool* p = new HostPool;
  return *p;
}

size_t held_bytes(const std::vector<float>& v) { return v.capacity() * sizeof(float); }

}  // namespace

std::vector<float> host_floats(size_t n, bool zeroed) {
  if (n >= kPoolMinFloats) {
    HostPool& p = pool();
    std::unique_lock<std::mutex> lock(p.mutex);
    for (size_t i = p.kept.size(); i-- > 0;) {
      if (p.kept[i].size() != n) continue;
      std::vector<float> v = std::move(p.kept[i]);
      p.kept.erase(p.kept.begin() + static_cast<std::ptrdiff_t>(i));
      p.bytes -= held_bytes(v);
      lock.unlock();
      if (zeroed) std::fill(v.begin(), v.end(), 0.0f);
      return v;
    }
  }
  return std::vector<float>(n);  // value-initialized: zeros either way
}

void recycle_host_floats(std::vector<float>& v) {
  const size_t b = held_bytes(v);
  if (v.size() < kPoolMinFloats || b > kPoolBytes) return;
  HostPool& p = pool();
  std::vector<std::vector<float>> dropped;  // freed after the lock is released
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.kept.push_back(std::move(v));
    p.bytes += b;
    size_t drop = 0;
    while (p.bytes > kPoolBytes) p.bytes -= held_bytes(p.kept[drop++]);
    dropped.assign(std::make_move_iterator(p.kept.begin()),
                   std::make_move_iterator(p.kept.begin() + static_cast<std::ptrdiff_t>(drop)));
    p.kept.erase(p.kept.begin(), p.kept.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  v.clear();
}

}  // namespace bitblock::detail
