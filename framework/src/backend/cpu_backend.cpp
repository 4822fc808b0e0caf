// The CPU backend: contexts without a stream, host memory, and the kept path on a BsrPlan.
#include <cstring>
#include <stdexcept>

#include "backend/backend.hpp"
#include "bitblock/kernels/patches.hpp"

namespace bitblock::backend {
namespace {

class CpuContext final : public ExecContext {
 public:
  CpuContext() : ExecContext(Device::Cpu) {}
  cudaStream_t stream() const override { return nullptr; }
};

class CpuBackend final : public Backend {
 public:
  ExecContextPtr make_context() override { return std::make_shared<CpuContext>(); }

  // Host buffers are std::vectors; nothing allocates through here.
  void* allocate(size_t, cudaStream_t) override {
    throw std::logic_error("cpu backend: host memory is not allocated here");
  }
  void release(void*) override {}
  void upload(void* dst, const void* src, size_t bytes, cudaStream_t) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes, cudaStream_t) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes, cudaStream_t) override {
    if (bytes && dst != src) std::memcpy(dst, src, bytes);
  }
  void zero(void* dst, size_t bytes, cudaStream_t) override { std::memset(dst, 0, bytes); }
  void synchronize(cudaStream_t) override {}
  std::unique_ptr<CapturedStep> capture(cudaStream_t, const std::function<void()>&) override { return nullptr; }
  int64_t allocation_count(cudaStream_t) const override { return 0; }
  // 16 MiB: one wide GEMM per group keeps small feature maps efficient without a batch-sized buffer.
  int64_t column_budget() const override { return int64_t{1} << 22; }
  int64_t patch_budget() const override { return kernels::kCpuPatchGroupFloats; }

  std::unique_ptr<KeptWeights> kept_weights(const kernels::BsrLayout& layout, KeptUnit unit, int, const std::string&,
                                            const ExecContextPtr&) override {
    return make_cpu_kept_weights(layout, unit);
  }
  std::unique_ptr<BinaryWeights> binary_weights(const kernels::BsrLayout& layout, const ExecContextPtr&) override {
    return make_cpu_binary_weights(layout);
  }
};

}  // namespace

Backend& cpu() {
  static CpuBackend b;
  return b;
}

Backend& of(Device d) { return d == Device::Cpu ? cpu() : cuda(); }

}  // namespace bitblock::backend
