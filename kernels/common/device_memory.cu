// The caching device allocator, streams and host <-> device copies (device_memory.hpp).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>

#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/device_memory.hpp"

namespace bitblock::kernels::cuda {
namespace {

size_t rounded(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{128} << 10, kLargeFrom = size_t{1} << 20;
  const size_t unit = bytes < kLargeFrom ? kSmall : kLarge;
  return (std::max<size_t>(bytes, 1) + unit - 1) / unit * unit;
}

struct LiveBlock {
  size_t size;           // rounded
  cudaStream_t stream;   // whose work it was allocated for
};

// Free blocks are keyed by (stream, rounded size), the stream as an integer (a total order);
// stream 0: free for any stream.
using FreeKey = std::pair<uintptr_t, size_t>;
uintptr_t key_of(cudaStream_t s) { return reinterpret_cast<uintptr_t>(s); }

struct Cache {
  std::mutex lock;
  std::multimap<FreeKey, void*> free_blocks;
  std::unordered_map<void*, LiveBlock> live_blocks;
  std::unordered_map<cudaStream_t, int64_t> allocations;  // device_alloc calls per stream

  void release_free() {
    for (auto& [key, p] : free_blocks) cudaFree(p);
    free_blocks.clear();
  }
  // A free block of `size` this stream may use: one it freed, else one no stream holds.
  void* take_free(cudaStream_t stream, size_t size) {
    for (const FreeKey& key : {FreeKey{key_of(stream), size}, FreeKey{0, size}}) {
      auto it = free_blocks.find(key);
      if (it == free_blocks.end()) continue;
      void* p = it->second;
      free_blocks.erase(it);
      return p;
    }
    return nullptr;
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

void* device_alloc(size_t bytes, cudaStream_t stream) {
  Cache& c = cache();
  std::lock_guard<std::mutex> guard(c.lock);
  const size_t size = rounded(bytes);
  ++c.allocations[stream];
  void* p = c.take_free(stream, size);
  if (!p) {
    if (cudaMalloc(&p, size) != cudaSuccess) {
      cudaGetLastError();  // clear the non-sticky out-of-memory error, then retry without the cache
      if (!capture_under_way()) c.release_free();
      CUDA_CHECK(cudaMalloc(&p, size));
    }
  }
  c.live_blocks[p] = {size, stream};
  return p;
}

void device_free(void* p) {
  if (!p) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> guard(c.lock);
  auto it = c.live_blocks.find(p);
  if (it == c.live_blocks.end()) return;
  const LiveBlock b = it->second;
  c.free_blocks.emplace(FreeKey{key_of(b.stream), b.size}, p);
  c.live_blocks.erase(it);
}

int64_t allocations_for(cudaStream_t stream) {
  Cache& c = cache();
  std::lock_guard<std::mutex> guard(c.lock);
  auto it = c.allocations.find(stream);
  return it == c.allocations.end() ? 0 : it->second;
}

void capture_started() { ++captures; }
void capture_ended() { --captures; }

namespace {

// After the stream's last work has finished: its free blocks (and any block of its still live,
// e.g. freed later by a buffer that outlived it) serve every stream, and a new stream that gets
// the same handle starts its count afresh.
void stream_ended(cudaStream_t stream) {
  Cache& c = cache();
  std::lock_guard<std::mutex> guard(c.lock);
  const uintptr_t key = key_of(stream);
  for (auto it = c.free_blocks.lower_bound(FreeKey{key, 0}); it != c.free_blocks.end() && it->first.first == key;) {
    c.free_blocks.emplace(FreeKey{0, it->first.second}, it->second);
    it = c.free_blocks.erase(it);
  }
  for (auto& [p, b] : c.live_blocks)
    if (b.stream == stream) b.stream = nullptr;
  c.allocations.erase(stream);
}

}  // namespace

Stream::Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
// At process exit the runtime may be gone already; the stream goes with it then (errors ignored).
Stream::~Stream() {
  cudaStreamSynchronize(stream_);
  stream_ended(stream_);
  cudaStreamDestroy(stream_);
}

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
