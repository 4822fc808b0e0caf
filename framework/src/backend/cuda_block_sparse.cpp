// The packed path's weights on the GPU: the layout's index and the kept blocks' effective values
// in device memory (kernels::cuda::DeviceBsr), the three products by the custom bsgemm kernels.
#include "backend/cuda_block_sparse.hpp"

#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/device_memory.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;
namespace kc = kernels::cuda;

int64_t rows_of(const Tensor& t, int64_t per_row) { return per_row > 0 ? t.numel() / per_row : 0; }

class CudaBlockSparse final : public BlockSparse {
 public:
  CudaBlockSparse(const k::BsrLayout& layout, cudaStream_t stream)
      : BlockSparse(layout), w_(kc::device_bsr_for_layout(layout)), stream_(stream) {}

  k::BlockLayoutView view() const override {
    k::BlockLayoutView v = k::view_of(layout());
    v.block_row_ptr = w_.block_row_ptr.get();
    v.block_col_idx = w_.block_col_idx.get();
    v.block_row_of = w_.block_row_of.get();
    return v;
  }
  void set_values(const Tensor& blocks) override {
    kc::copy_on_device(w_.values.get(), blocks.data(), static_cast<size_t>(blocks.numel()) * sizeof(float), stream_);
  }
  void forward(const Tensor& x, Tensor& y) override {
    const k::BsrLayout& l = layout();
    kc::bsgemm_forward(x.data(), rows_of(x, l.cols), l.cols, w_, y.data(), l.rows, stream_);
  }
  void backward_input(const Tensor& dy, Tensor& dx) override {
    const k::BsrLayout& l = layout();
    kc::bsgemm_backward_input(dy.data(), rows_of(dy, l.rows), l.rows, w_, dx.data(), l.cols, stream_);
  }
  void backward_weight(const Tensor& dy, const Tensor& x, Tensor& dw) override {
    const k::BsrLayout& l = layout();
    kc::bsgemm_backward_weight(dy.data(), rows_of(dy, l.rows), l.rows, x.data(), l.cols, w_, dw.data(), stream_);
  }
  void gather(const Tensor& dense, Tensor& blocks) const override {
    kc::bsr_gather_blocks(w_, dense.data(), blocks.data(), stream_);
  }
  void write(const Tensor& blocks, Tensor& dense) const override {
    kc::bsr_write_blocks(w_, blocks.data(), dense.data(), stream_);
  }
  void scatter(const Tensor& blocks, Tensor& dense) const override {
    kc::bsr_scatter_blocks(w_, blocks.data(), dense.data(), stream_);
  }
  std::string kernels() const override { return "bsgemm CUDA"; }

 private:
  kc::DeviceBsr w_;
  cudaStream_t stream_;
};

}  // namespace

std::unique_ptr<BlockSparse> make_cuda_block_sparse(const k::BsrLayout& layout, const std::string&,
                                                    cudaStream_t stream) {
  return std::make_unique<CudaBlockSparse>(layout, stream);
}

}  // namespace bitblock::backend
