#pragma once
// Device memory for the CUDA backend: a caching allocator on plain cudaMalloc (never managed
// memory) and the copies between host and device. Blocks are rounded up to 512 bytes (below
// 1 MiB) or to 128 KiB, and a freed block waits in a free list for the next request of the same
// rounded size, so a training step that repeats the same allocations reuses the same blocks and
// allocates nothing after the first step (which also keeps CUDA graph capture free of
// cudaMalloc). A block is allocated for one stream's work and, when freed, is reused only for
// that stream (its queued work may still read the block; stream order makes reuse safe there),
// until the stream is destroyed: then its blocks serve any stream. When cudaMalloc fails the
// cache is released and the call retried once.
// Only with BITBLOCK_HAS_CUDA (declared everywhere, defined in CUDA builds).
#include <cstddef>
#include <cstdint>
#include <string>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels::cuda {

// A block of at least `bytes` for work queued on `stream` (not null).
void* device_alloc(size_t bytes, cudaStream_t stream);
void device_free(void* p);

// device_alloc calls for `stream` so far.
int64_t allocations_for(cudaStream_t stream);

// A CUDA stream (non-blocking), owned: each of the framework's GPU execution contexts holds one.
// Destroying it waits for its queued work, then hands its cached blocks to every stream.
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// Graph captures under way (StepGraph counts them, graph.cu): while one is, the allocator never
// releases its cache, since cudaFree synchronizes the device and would invalidate the capture.
void capture_started();
void capture_ended();
// Host <-> device copies on a stream. upload returns once the host bytes are consumed (pageable
// memory is staged by the driver), download once the bytes have arrived; copy and zero are
// asynchronous.
void upload(void* device_dst, const void* host_src, size_t bytes, cudaStream_t stream);
void download(void* host_dst, const void* device_src, size_t bytes, cudaStream_t stream);
void copy_on_device(void* dst, const void* src, size_t bytes, cudaStream_t stream);
void zero(void* dst, size_t bytes, cudaStream_t stream);
void synchronize(cudaStream_t stream);

// True when a CUDA driver and at least one device answer; otherwise false with *why (when given)
// the runtime's reason (no device, driver too old, ...).
bool device_usable(std::string* why);

// Name, compute capability and memory of the current device, e.g. "NVIDIA H200 (sm_90, 139.8 GiB)".
std::string device_description();

}  // namespace bitblock::kernels::cuda
