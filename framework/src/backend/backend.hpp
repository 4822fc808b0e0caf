#pragma once
// Where the framework's tensor ops (ops.hpp) run. A per-step op is one kernel call, made directly
// by ops.cpp through BITBLOCK_RUN: kernels::<op> on the CPU, kernels::cuda::<op> on the device's
// stream. What a device does beyond one kernel call is its Backend: memory, graph capture, the
// sizes of convolution groups, the kept path's kept units and binary weights. One CPU backend
// (host memory) and one CUDA backend (device memory from the caching allocator, one stream it
// owns); ops.cpp picks one from its tensors' device. Internal to the framework: layers see only
// ops.hpp and Tensor.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bitblock/framework/binary_weights.hpp"
#include "bitblock/framework/device.hpp"
#include "bitblock/framework/kept_weights.hpp"
#include "bitblock/kernels/block_layout.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::backend {

// A training step recorded once and replayed (a CUDA graph); see Backend::capture.
class CapturedStep {
 public:
  virtual ~CapturedStep() = default;
  virtual void replay() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // The execution context every op on this device runs in: the device and, on a GPU, the stream
  // its work is queued on (null on the CPU), owned by the backend.
  virtual Device device() const = 0;
  virtual cudaStream_t stream() const = 0;

  // Memory (device backends; host buffers are std::vectors).
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* p) = 0;
  virtual void upload(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void download(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void zero(void* dst, size_t bytes) = 0;
  // Records the work body enqueues, without running it, and returns what replays it; or returns
  // null where recording is not possible (the CPU, without calling body; a failed CUDA capture,
  // after a call of body that ran nothing): the caller then runs each step directly.
  virtual std::unique_ptr<CapturedStep> capture(const std::function<void()>& body) = 0;
  // Device allocations made so far (a captured step's buffers must stay put between replays).
  virtual int64_t allocation_count() const = 0;
  // Floats a convolution's column matrix (dense path) or patch rows (kept path) may hold:
  // samples are convolved in groups that fit.
  virtual int64_t column_budget() const = 0;
  virtual int64_t patch_budget() const = 0;

  // The kept path's kept units of a layout (kept_weights.hpp).
  virtual std::unique_ptr<KeptWeights> kept_weights(const kernels::BsrLayout& layout, KeptUnit unit, int bits,
                                                    const std::string& name) = 0;
  // Binary weights on a layout's kept blocks for sign inputs (binary_weights.hpp), or null where
  // this backend runs no binary GEMM on such a layout (the layer keeps its float product).
  virtual std::unique_ptr<BinaryWeights> binary_weights(const kernels::BsrLayout& layout) = 0;
};

// One kernel call on backend `be`'s device: kernels::op(args...) on the CPU, or
// kernels::cuda::op(args..., stream) on a GPU. The CUDA versions are defined only in CUDA builds,
// where alone a backend can be on a GPU.
#if BITBLOCK_HAS_CUDA
#define BITBLOCK_RUN(be, op, ...)                                                                  \
  ((be).device() == ::bitblock::Device::Cpu ? ::bitblock::kernels::op(__VA_ARGS__)                 \
                                             : ::bitblock::kernels::cuda::op(__VA_ARGS__, (be).stream()))
#else
#define BITBLOCK_RUN(be, op, ...) ((void)(be), ::bitblock::kernels::op(__VA_ARGS__))
#endif

Backend& cpu();
// InputError when this build has no CUDA backend or no usable GPU.
Backend& cuda();
Backend& of(Device d);
// What cuda_usable() and describe(Device::Cuda) report (cuda_backend.cpp, or cuda_absent.cpp in
// builds without CUDA).
bool cuda_build_usable(std::string* why);
std::string cuda_description();
// The CPU backend's kept units (cpu_kept_weights.cpp).
std::unique_ptr<KeptWeights> make_cpu_kept_weights(const kernels::BsrLayout& layout, KeptUnit unit);
// The CPU backend's binary weights, any layout (cpu_binary_weights.cpp).
std::unique_ptr<BinaryWeights> make_cpu_binary_weights(const kernels::BsrLayout& layout);

}  // namespace bitblock::backend
