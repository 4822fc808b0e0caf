// The caching device allocator, streams and host <-> device copies (device_memory.hpp).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/device_memory.hpp"

namespace bitblock::kernels::cuda {
namespace {

size_t rounded(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{128} << 10, kLargeFrom = size_t{1} << 20;
  const size_t unit = bytes < kLargeFrom ? kSmall : kLarge;
  return (std::max<size_t>(bytes, 1) + unit - 1) / unit * unit;
}

struct Cache {
  std::mutex lock;
  std::multimap<size_t, void*> free_blocks;      // rounded size -> block
  std::unordered_map<void*, size_t> live_blocks;  // block -> rounded size
  AllocatorStats stats;

  void release_free() {
    for (auto& [size, p] : free_blocks) {
      cudaFree(p);
      stats.cached_bytes -= size;
    }
    free_blocks.clear();
  }
};

std::atomic<int> captures{0};  // graph captures under way (capture_started / capture_ended)

// cudaFree synchronizes the device, which a stream capture under way does not allow (it would
// invalidate the capture).
bool capture_under_way() { return captures.load() > 0; }

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: blocks may be freed during static destruction
  return *c;
}

}  // namespace

void* device_alloc(size_t bytes) {
  Cache& c = cache();
  std::lock_guard<std::mutex> guard(c.lock);
  const size_t size = rounded(bytes);
  ++c.stats.allocations;
  void* p = nullptr;
  auto it = c.free_blocks.find(size);
  if (it != c.free_blocks.end()) {
    p = it->second;
    c.free_blocks.erase(it);
    c.stats.cached_bytes -= size;
  } else {
    if (cudaMalloc(&p, size) != cudaSuccess) {
      cudaGetLastError();  // clear the non-sticky out-of-memory error, then retry without the cache
      if (!capture_under_way()) c.release_free();
      CUDA_CHECK(cudaMalloc(&p, size));
    }
    ++c.stats.device_mallocs;
  }
  c.live_blocks[p] = size;
  c.stats.live_bytes += size;
  return p;
}

void device_free(void* p) {
  if (!p) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> guard(c.lock);
  auto it = c.live_blocks.find(p);
  if (it == c.live_blocks.end()) return;
  c.free_blocks.emplace(it->second, p);
  c.stats.live_bytes -= it->second;
  c.stats.cached_bytes += it->second;
  c.live_blocks.erase(it);
}

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> guard(c.lock);
  return c.stats;
}

void capture_started() { ++captures; }
void capture_ended() { --captures; }

Stream::Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
// At process exit the runtime may be gone already; the stream goes with it then.
Stream::~Stream() { cudaStreamDestroy(stream_); }

void upload(void* device_dst, const void* host_src, size_t bytes, cudaStream_t stream) {
  if (bytes) CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream));
}

void download(void* host_dst, const void* device_src, size_t bytes, cudaStream_t stream) {
  if (!bytes) return;
  CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
}

void copy_on_device(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
  if (bytes && dst != src) CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
}

void zero(void* dst, size_t bytes, cudaStream_t stream) {
  if (bytes) CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream));
}

void synchronize(cudaStream_t stream) { CUDA_CHECK(cudaStreamSynchronize(stream)); }

bool device_usable(std::string* why) {
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    if (why) *why = err != cudaSuccess ? cudaGetErrorString(err) : "no CUDA device";
    cudaGetLastError();
    return false;
  }
  return true;
}

std::string device_description() {
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  char memory[64];
  std::snprintf(memory, sizeof memory, "%.1f GiB", static_cast<double>(prop.totalGlobalMem) / double(1 << 30));
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " + memory +
         ")";
}

}  // namespace bitblock::kernels::cuda
