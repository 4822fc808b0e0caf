// The CUDA backend: contexts that each own a stream, device memory from the caching allocator
// (blocks reused on the stream that freed them), CUDA graphs of a context's stream for captured
// steps. Compiled only when the build has CUDA.
#include <cuda_runtime.h>

#include <cstdio>
#include <exception>
#include <string>

#include "backend/backend.hpp"
#include "backend/cuda_binary_weights.hpp"
#include "backend/cuda_kept_weights.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/graph.hpp"

namespace bitblock::backend {
namespace {

namespace kc = kernels::cuda;

class CudaStep final : public CapturedStep {
 public:
  CudaStep(cudaStream_t stream, const std::function<void()>& body) : stream_(stream), graph_(stream, body) {}
  void replay() override { graph_.launch(stream_); }

 private:
  cudaStream_t stream_;
  kc::StepGraph graph_;
};

// A context on the GPU: the stream it owns (RAII, kernels/device_memory.hpp).
class CudaContext final : public ExecContext {
 public:
  CudaContext() : ExecContext(Device::Cuda) {}
  cudaStream_t stream() const override { return stream_.get(); }

 private:
  kc::Stream stream_;
};

class CudaBackend final : public Backend {
 public:
  ExecContextPtr make_context() override { return std::make_shared<CudaContext>(); }

  void* allocate(size_t bytes, cudaStream_t stream) override { return kc::device_alloc(bytes, stream); }
  void release(void* p) override { kc::device_free(p); }
  void upload(void* dst, const void* src, size_t bytes, cudaStream_t stream) override {
    kc::upload(dst, src, bytes, stream);
  }
  void download(void* dst, const void* src, size_t bytes, cudaStream_t stream) override {
    kc::download(dst, src, bytes, stream);
  }
  void copy(void* dst, const void* src, size_t bytes, cudaStream_t stream) override {
    kc::copy_on_device(dst, src, bytes, stream);
  }
  void zero(void* dst, size_t bytes, cudaStream_t stream) override { kc::zero(dst, bytes, stream); }
  void synchronize(cudaStream_t stream) override { kc::synchronize(stream); }
  // A step that cannot be captured (a library call that refuses capture, memory running out
  // mid-capture) runs directly instead: slower, same results.
  std::unique_ptr<CapturedStep> capture(cudaStream_t stream, const std::function<void()>& body) override {
    try {
      return std::make_unique<CudaStep>(stream, body);
    } catch (const std::exception& e) {
      cudaGetLastError();
      std::fprintf(stderr, "warning: CUDA graph capture of the training step failed (%s); running it directly\n",
                   e.what());
      return nullptr;
    }
  }
  int64_t allocation_count(cudaStream_t stream) const override { return kc::allocations_for(stream); }
  // 1 GiB: the whole batch in one group for the shipped networks (fewer, larger launches).
  int64_t column_budget() const override { return int64_t{1} << 28; }
  int64_t patch_budget() const override { return int64_t{1} << 28; }

  std::unique_ptr<KeptWeights> kept_weights(const kernels::BsrLayout& layout, KeptUnit unit, int bits,
                                            const std::string& name, const ExecContextPtr& ctx) override {
    return make_cuda_kept_weights(layout, unit, bits, name, ctx);
  }
  std::unique_ptr<BinaryWeights> binary_weights(const kernels::BsrLayout& layout, const ExecContextPtr& ctx) override {
    return make_cuda_binary_weights(layout, ctx);
  }
};

}  // namespace

Backend& cuda() {
  static const std::string unusable = [] {
    std::string why;
    return kc::device_usable(&why) ? std::string() : why;
  }();
  if (!unusable.empty()) fail_input("device cuda", "no usable CUDA GPU (" + unusable + ")");
  static CudaBackend b;
  return b;
}

bool cuda_build_usable(std::string* why) { return kc::device_usable(why); }

std::string cuda_description() { return kc::device_description(); }

}  // namespace bitblock::backend
