// The CUDA backend: device memory from the caching allocator, the kernels' CUDA paths on one
// stream, CUDA graphs for captured steps. Compiled only when the build has CUDA.
#include <cuda_runtime.h>

#include <cstdio>
#include <exception>
#include <string>

#include "backend/backend.hpp"
#include "backend/cuda_binary_weights.hpp"
#include "backend/cuda_kept_weights.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/kernels/batch.hpp"
#include "bitblock/kernels/batchnorm.hpp"
#include "bitblock/kernels/bias.hpp"
#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/conv.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/dropout.hpp"
#include "bitblock/kernels/elementwise.hpp"
#include "bitblock/kernels/gemm.hpp"
#include "bitblock/kernels/graph.hpp"
#include "bitblock/kernels/patches.hpp"
#include "bitblock/kernels/pool.hpp"
#include "bitblock/kernels/transpose.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;
namespace kc = kernels::cuda;

class CudaStep final : public CapturedStep {
 public:
  CudaStep(cudaStream_t stream, const std::function<void()>& body) : stream_(stream), graph_(stream, body) {}
  void replay() override { graph_.launch(stream_); }

 private:
  cudaStream_t stream_;
  kc::StepGraph graph_;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend() : s_(kc::compute_stream()) {}
  Device device() const override { return Device::Cuda; }

  void* allocate(size_t bytes) override { return kc::device_alloc(bytes); }
  void release(void* p) override { kc::device_free(p); }
  void upload(void* dst, const void* src, size_t bytes) override { kc::upload(dst, src, bytes, s_); }
  void download(void* dst, const void* src, size_t bytes) override { kc::download(dst, src, bytes, s_); }
  void copy(void* dst, const void* src, size_t bytes) override { kc::copy_on_device(dst, src, bytes, s_); }
  void zero(void* dst, size_t bytes) override { kc::zero(dst, bytes, s_); }
  // A step that cannot be captured (a library call that refuses capture, memory running out
  // mid-capture) runs directly instead: slower, same results.
  std::unique_ptr<CapturedStep> capture(const std::function<void()>& body) override {
    try {
      return std::make_unique<CudaStep>(s_, body);
    } catch (const std::exception& e) {
      cudaGetLastError();
      std::fprintf(stderr, "warning: CUDA graph capture of the training step failed (%s); running it directly\n",
                   e.what());
      return nullptr;
    }
  }
  int64_t allocation_count() const override { return kc::allocator_stats().allocations; }
  // 1 GiB: the whole batch in one group for the shipped networks (fewer, larger launches).
  int64_t column_budget() const override { return int64_t{1} << 28; }
  int64_t patch_budget() const override { return int64_t{1} << 28; }

  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t kk, float alpha, const float* a, int64_t lda,
            const float* b, int64_t ldb, float beta, float* c, int64_t ldc) override {
    kc::gemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc, s_);
  }
  void im2col(const float* images, int64_t count, const k::ConvGeometry& g, float* cols, int64_t ld) override {
    kc::im2col(images, count, g, cols, ld, s_);
  }
  void col2im(const float* cols, int64_t ld, int64_t count, const k::ConvGeometry& g, float* images) override {
    kc::col2im(cols, ld, count, g, images, s_);
  }
  void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count,
                       float* maps) override {
    kc::columns_to_maps(cols, ld, channels, pixels, count, maps, s_);
  }
  void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols,
                       int64_t ld) override {
    kc::maps_to_columns(maps, channels, pixels, count, cols, ld, s_);
  }
  void image_to_patches(const float* images, int64_t n, const k::PatchGeometry& g, float* patches,
                        int64_t ld) override {
    kc::image_to_patches(images, n, g, patches, ld, s_);
  }
  void patches_to_image(const float* patches, int64_t ld, int64_t n, const k::PatchGeometry& g,
                        float* images) override {
    kc::patches_to_image(patches, ld, n, g, images, s_);
  }
  void transpose(const float* a, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* b,
                 int64_t ldb, int64_t b_stride) override {
    kc::transpose(a, batch, rows, cols, lda, a_stride, b, ldb, b_stride, s_);
  }
  void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols) override {
    kc::add_bias_rows(y, bias, rows, cols, s_);
  }
  void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out) override {
    kc::sum_rows_into(y, rows, cols, out, s_);
  }
  void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels) override {
    kc::add_bias_channels(y, bias, batch, channels, pixels, s_);
  }
  void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out) override {
    kc::sum_channels_into(y, batch, channels, pixels, out, s_);
  }
  void axpy(int64_t n, float alpha, const float* x, float* y) override { kc::axpy(n, alpha, x, y, s_); }
  void multiply(int64_t n, const float* x, const float* m, float* y) override { kc::multiply(n, x, m, y, s_); }
  void fill(int64_t n, float value, float* y) override { kc::fill(n, value, y, s_); }
  void activation_forward(k::ActFn fn, int bits, float max, int64_t n, const float* x, float* y) override {
    kc::activation_forward(fn, bits, max, n, x, y, s_);
  }
  void activation_backward(k::ActFn fn, int bits, float max, int64_t n, const float* x, const float* dy,
                           float* dx) override {
    kc::activation_backward(fn, bits, max, n, x, dy, dx, s_);
  }
  void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                               const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                               float* inv_std, float* xhat, float* y) override {
    kc::batchnorm_forward_train(x, batch, channels, pixels, gamma, beta, momentum, eps, running_mean, running_var,
                                inv_std, xhat, y, s_);
  }
  void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                              const float* beta, float eps, const float* running_mean, const float* running_var,
                              float* inv_std, float* xhat, float* y) override {
    kc::batchnorm_forward_eval(x, batch, channels, pixels, gamma, beta, eps, running_mean, running_var, inv_std, xhat,
                               y, s_);
  }
  void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                          const float* gamma, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad,
                          float* dx) override {
    kc::batchnorm_backward(dy, xhat, batch, channels, pixels, gamma, inv_std, trained, gamma_grad, beta_grad, dx, s_);
  }
  void maxpool_forward(const float* x, int64_t planes, int64_t h, int64_t w, int kernel, int stride, float* y,
                       int32_t* argmax) override {
    kc::maxpool_forward(x, planes, h, w, kernel, stride, y, argmax, s_);
  }
  void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                        int stride, float* dx) override {
    kc::maxpool_backward(dy, argmax, planes, h, w, kernel, stride, dx, s_);
  }
  void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask) override {
    kc::dropout_mask(cursor, n, p, mask, s_);
  }
  void loss_forward_backward(k::LossKind kind, const float* logits, const int32_t* labels, int64_t batch,
                             int64_t classes, float* dlogits, k::LossStats* stats) override {
    kc::loss_forward_backward(kind, logits, labels, batch, classes, dlogits, stats, s_);
  }
  void adam_update(int64_t n, const k::AdamSettings& s, const float* hyper, const float* grad, float* w, float* m,
                   float* v) override {
    kc::adam_update(n, s, hyper, grad, w, m, v, s_);
  }
  void sgd_update(int64_t n, const k::SgdSettings& s, const float* hyper, const float* grad, float* w,
                  float* m) override {
    kc::sgd_update(n, s, hyper, grad, w, m, s_);
  }
  void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                             double* stat, int64_t* count) override {
    kc::weight_row_statistics(latent, mask, rows, cols, bits, stat, count, s_);
  }
  void weight_row_statistics_blocks(const k::BlockLayoutView& layout, const float* latent, int bits, double* stat,
                                    int64_t* count) override {
    kc::weight_row_statistics_blocks(layout, latent, bits, stat, count, s_);
  }
  void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count,
                     float* scales) override {
    kc::weight_scales(bits, per_row, rows, stat, count, scales, s_);
  }
  void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                       const float* scales, bool per_row, float* effective) override {
    kc::weight_quantize(latent, mask, rows, cols, bits, scales, per_row, effective, s_);
  }
  void weight_quantize_blocks(const k::BlockLayoutView& layout, const float* latent, int bits, const float* scales,
                              bool per_row, float* effective) override {
    kc::weight_quantize_blocks(layout, latent, bits, scales, per_row, effective, s_);
  }
  void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                       float* grad_latent) override {
    kc::weight_backward(latent, grad_effective, mask, n, clip, grad_latent, s_);
  }
  void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                              float* grad_latent) override {
    kc::weight_backward_blocks(latent, grad_effective, n, clip, grad_latent, s_);
  }
  void weight_clip(int64_t n, float clip, float* latent) override { kc::weight_clip(n, clip, latent, s_); }
  void gather_batch(const k::ImageSet& set, const int64_t* indices, const k::SampleTransform* transforms, int64_t n,
                    const float* lut, float* x, int32_t* y) override {
    kc::gather_batch(set, indices, transforms, n, lut, x, y, s_);
  }

  std::unique_ptr<KeptWeights> kept_weights(const k::BsrLayout& layout, KeptUnit unit, int bits,
                                            const std::string& name) override {
    return make_cuda_kept_weights(layout, unit, bits, name, s_);
  }
  std::unique_ptr<BinaryWeights> binary_weights(const k::BsrLayout& layout) override {
    return make_cuda_binary_weights(layout, s_);
  }

 private:
  cudaStream_t s_;
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
