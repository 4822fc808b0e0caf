// The CUDA backend's binary weights: a layout of one block holding the whole matrix (a dense
// 1-bit W_eff without structure), on cuda::bgemm_binary with the inputs packed twice
// (cuda_sign_input.hpp). Other layouts have none here: the kept path's products on the GPU
// are the kept-weights kernels'.
#include "backend/cuda_binary_weights.hpp"

#include "backend/backend.hpp"
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/cuda_sign_input.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;
namespace kc = kernels::cuda;

// Device memory of `count` T for a stream's work, freed with the owner; grown, never shrunk.
template <typename T>
class DeviceArray {
 public:
  T* get() const { return p_.get(); }
  void ensure(int64_t count, cudaStream_t stream) {
    if (count <= size_) return;
    p_.reset(static_cast<T*>(kc::device_alloc(static_cast<size_t>(count) * sizeof(T), stream)));
    size_ = count;
  }

 private:
  struct Free {
    void operator()(T* p) const { kc::device_free(p); }
  };
  std::unique_ptr<T, Free> p_;
  int64_t size_ = 0;
};

bool one_full_block(const k::BsrLayout& l) {
  return l.block_rows == l.rows && l.block_cols == l.cols && l.kept_blocks() == 1;
}

class CudaBinaryWeights final : public BinaryWeights {
 public:
  CudaBinaryWeights(const k::BsrLayout& layout, const ExecContextPtr& ctx)
      : BinaryWeights(layout), ctx_(ctx), s_(ctx->stream()) {
    signs_.ensure(layout.rows * k::sign_words(layout.cols), s_);
    scales_.ensure(layout.rows, s_);
  }

  void set_dense(const Tensor& effective) override {
    kc::binary_dense_weights(effective.data(), layout().rows, layout().cols, signs_.get(), scales_.get(), s_);
  }
  void set_kept(const Tensor& blocks) override { set_dense(blocks); }  // one block: the dense order
  void forward(const Tensor& x, Tensor& y) override {
    const int64_t N = layout().rows, K = layout().cols, M = K > 0 ? x.numel() / K : 0, words = k::sign_words(K);
    plus_.ensure(M * words, s_);
    minus_.ensure(M * words, s_);
    c_plus_.ensure(M * N, s_);
    c_minus_.ensure(M * N, s_);
    kc::pack_sign_input(x.data(), M, K, K, plus_.get(), minus_.get(), s_);
    kc::bgemm_binary(plus_.get(), M, signs_.get(), N, K, c_plus_.get(), N, s_);
    kc::bgemm_binary(minus_.get(), M, signs_.get(), N, K, c_minus_.get(), N, s_);
    kc::sign_input_finish(c_plus_.get(), c_minus_.get(), M, N, scales_.get(), y.data(), N, s_);
  }

 private:
  ExecContextPtr ctx_;  // its stream outlives the buffers below
  cudaStream_t s_;
  DeviceArray<uint64_t> signs_, plus_, minus_;
  DeviceArray<float> scales_;
  DeviceArray<int32_t> c_plus_, c_minus_;
};

}  // namespace

std::unique_ptr<BinaryWeights> make_cuda_binary_weights(const k::BsrLayout& layout, const ExecContextPtr& ctx) {
  if (!one_full_block(layout)) return nullptr;
  return std::make_unique<CudaBinaryWeights>(layout, ctx);
}

}  // namespace bitblock::backend
