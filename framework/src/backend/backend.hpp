#pragma once
// Where the framework's tensor ops (ops.hpp) run. A per-step op is one kernel call, made directly
// by ops.cpp through BITBLOCK_RUN: kernels::<op> on the CPU, kernels::cuda::<op> on the stream of
// the tensors' execution context (exec_context.hpp). What a device does beyond one kernel call,
// and what it shares among its contexts, is its Backend: new contexts, memory (the transfers
// queued on a context's stream), graph capture of a stream, the sizes of convolution groups, the
// kept path's kept units and binary weights. One CPU backend (host memory) and one CUDA backend
// (device memory from the caching allocator; the library handles live in kernels/). Internal to
// the framework: layers see only ops.hpp, Tensor and ExecContext.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bitblock/framework/binary_weights.hpp"
#include "bitblock/framework/device.hpp"
#include "bitblock/framework/exec_context.hpp"
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
  // A new execution context on this device: on a GPU with a stream of its own.
  virtual ExecContextPtr make_context() = 0;

  // Memory (device backends; host buffers are std::vectors). A block is allocated for the work of
  // one context's stream; the transfers are queued on the stream given.
  virtual void* allocate(size_t bytes, cudaStream_t stream) = 0;
  virtual void release(void* p) = 0;
  virtual void upload(void* dst, const void* host_src, size_t bytes, cudaStream_t stream) = 0;
  virtual void download(void* host_dst, const void* src, size_t bytes, cudaStream_t stream) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes, cudaStream_t stream) = 0;
  virtual void zero(void* dst, size_t bytes, cudaStream_t stream) = 0;
  // Returns once the work queued on stream has finished.
  virtual void synchronize(cudaStream_t stream) = 0;
  // Records the work body enqueues on stream (a context's), without running it, and returns what
  // replays it there; or returns null where recording is not possible (the CPU, without calling
  // body; a failed CUDA capture, after a call of body that ran nothing): the caller then runs
  // each step directly.
  virtual std::unique_ptr<CapturedStep> capture(cudaStream_t stream, const std::function<void()>& body) = 0;
  // Device allocations made so far for stream's work (a captured step's buffers must stay put
  // between replays).
  virtual int64_t allocation_count(cudaStream_t stream) const = 0;
  // Floats a convolution's column matrix (dense path) or patch rows (kept path) may hold:
  // samples are convolved in groups that fit.
  virtual int64_t column_budget() const = 0;
  virtual int64_t patch_budget() const = 0;

  // The kept path's kept units of a layout (kept_weights.hpp), working in context ctx.
  virtual std::unique_ptr<KeptWeights> kept_weights(const kernels::BsrLayout& layout, KeptUnit unit, int bits,
                                                    const std::string& name, const ExecContextPtr& ctx) = 0;
  // Binary weights on a layout's kept blocks for sign inputs (binary_weights.hpp) in context ctx,
  // or null where this backend runs no binary GEMM on such a layout (the layer keeps its float
  // product).
  virtual std::unique_ptr<BinaryWeights> binary_weights(const kernels::BsrLayout& layout, const ExecContextPtr& ctx) = 0;
};

// One kernel call in execution context `be` (an ExecContext): kernels::op(args...) on the CPU,
// or kernels::cuda::op(args..., stream) on its GPU stream. The CUDA versions are defined only in
// CUDA builds, where alone a context can be on a GPU.
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
