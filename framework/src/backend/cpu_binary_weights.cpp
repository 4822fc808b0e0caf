// The CPU backend's binary weights: any layout, on the binary GEMM over kept blocks
// (kernels/bgemm_blocks.hpp: AVX-512 VPOPCNTDQ, AVX2 or portable by active_isa()).
#include "backend/backend.hpp"
#include "bitblock/kernels/bgemm_blocks.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;

class CpuBinaryWeights final : public BinaryWeights {
 public:
  explicit CpuBinaryWeights(const k::BsrLayout& layout) : BinaryWeights(layout), w_(k::binary_blocks(layout)) {}

  void set_dense(const Tensor& effective) override { k::binary_blocks_set_dense(w_, effective.data()); }
  void set_kept(const Tensor& blocks) override { k::binary_blocks_set_kept(w_, blocks.data()); }
  void forward(const Tensor& x, Tensor& y) override {
    const int64_t cols = layout().cols, M = cols > 0 ? x.numel() / cols : 0;
    k::bgemm_sign_input(x.data(), M, cols, w_, y.data(), layout().rows);
  }

 private:
  k::BinaryBlocks w_;
};

}  // namespace

std::unique_ptr<BinaryWeights> make_cpu_binary_weights(const k::BsrLayout& layout) {
  return std::make_unique<CpuBinaryWeights>(layout);
}

}  // namespace bitblock::backend
