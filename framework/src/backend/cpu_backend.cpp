// The CPU backend: the kernels' CPU paths on host memory, and the packed path on a BsrPlan.
#include <cstring>
#include <stdexcept>

#include "backend/backend.hpp"
#include "bitblock/kernels/batch.hpp"
#include "bitblock/kernels/batchnorm.hpp"
#include "bitblock/kernels/bias.hpp"
#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/dropout.hpp"
#include "bitblock/kernels/elementwise.hpp"
#include "bitblock/kernels/gemm.hpp"
#include "bitblock/kernels/patches.hpp"
#include "bitblock/kernels/pool.hpp"
#include "bitblock/kernels/transpose.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::Cpu; }

  // Host buffers are std::vectors; nothing allocates through here.
  void* allocate(size_t) override { throw std::logic_error("cpu backend: host memory is not allocated here"); }
  void release(void*) override {}
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes && dst != src) std::memcpy(dst, src, bytes);
  }
  void zero(void* dst, size_t bytes) override { std::memset(dst, 0, bytes); }
  std::unique_ptr<CapturedStep> capture(const std::function<void()>&) override { return nullptr; }
  int64_t allocation_count() const override { return 0; }
  // 16 MiB: one wide GEMM per group keeps small feature maps efficient without a batch-sized buffer.
  int64_t column_budget() const override { return int64_t{1} << 22; }
  // 1 MiB of patch rows: a group's patch rows, the products' outputs and the transposes stay in L2.
  int64_t patch_budget() const override { return int64_t{1} << 18; }

  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t kk, float alpha, const float* a, int64_t lda,
            const float* b, int64_t ldb, float beta, float* c, int64_t ldc) override {
    k::gemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  void im2col(const float* images, int64_t count, const k::ConvGeometry& g, float* cols, int64_t ld) override {
    k::im2col(images, count, g, cols, ld);
  }
  void col2im(const float* cols, int64_t ld, int64_t count, const k::ConvGeometry& g, float* images) override {
    k::col2im(cols, ld, count, g, images);
  }
  void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count,
                       float* maps) override {
    k::columns_to_maps(cols, ld, channels, pixels, count, maps);
  }
  void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols,
                       int64_t ld) override {
    k::maps_to_columns(maps, channels, pixels, count, cols, ld);
  }
  void image_to_patches(const float* images, int64_t n, const k::PatchGeometry& g, float* patches,
                        int64_t ld) override {
    k::image_to_patches(images, n, g, patches, ld);
  }
  void patches_to_image(const float* patches, int64_t ld, int64_t n, const k::PatchGeometry& g,
                        float* images) override {
    k::patches_to_image(patches, ld, n, g, images);
  }
  void transpose(const float* a, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride, float* b,
                 int64_t ldb, int64_t b_stride) override {
    k::transpose(a, batch, rows, cols, lda, a_stride, b, ldb, b_stride);
  }
  void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols) override {
    k::add_bias_rows(y, bias, rows, cols);
  }
  void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out) override {
    k::sum_rows_into(y, rows, cols, out);
  }
  void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels) override {
    k::add_bias_channels(y, bias, batch, channels, pixels);
  }
  void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out) override {
    k::sum_channels_into(y, batch, channels, pixels, out);
  }
  void axpy(int64_t n, float alpha, const float* x, float* y) override { k::axpy(n, alpha, x, y); }
  void multiply(int64_t n, const float* x, const float* m, float* y) override { k::multiply(n, x, m, y); }
  void fill(int64_t n, float value, float* y) override { k::fill(n, value, y); }
  void activation_forward(k::ActFn fn, int bits, float max, int64_t n, const float* x, float* y) override {
    k::activation_forward(fn, bits, max, n, x, y);
  }
  void activation_backward(k::ActFn fn, int bits, float max, int64_t n, const float* x, const float* dy,
                           float* dx) override {
    k::activation_backward(fn, bits, max, n, x, dy, dx);
  }
  void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                               const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                               float* inv_std, float* xhat, float* y) override {
    k::batchnorm_forward_train(x, batch, channels, pixels, gamma, beta, momentum, eps, running_mean, running_var,
                               inv_std, xhat, y);
  }
  void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                              const float* beta, float eps, const float* running_mean, const float* running_var,
                              float* inv_std, float* xhat, float* y) override {
    k::batchnorm_forward_eval(x, batch, channels, pixels, gamma, beta, eps, running_mean, running_var, inv_std, xhat,
                              y);
  }
  void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                          const float* gamma, const float* inv_std, bool trained, float* gamma_grad, float* beta_grad,
                          float* dx) override {
    k::batchnorm_backward(dy, xhat, batch, channels, pixels, gamma, inv_std, trained, gamma_grad, beta_grad, dx);
  }
  void maxpool_forward(const float* x, int64_t planes, int64_t h, int64_t w, int kernel, int stride, float* y,
                       int32_t* argmax) override {
    k::maxpool_forward(x, planes, h, w, kernel, stride, y, argmax);
  }
  void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w, int kernel,
                        int stride, float* dx) override {
    k::maxpool_backward(dy, argmax, planes, h, w, kernel, stride, dx);
  }
  void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask) override { k::dropout_mask(cursor, n, p, mask); }
  void loss_forward_backward(k::LossKind kind, const float* logits, const int32_t* labels, int64_t batch,
                             int64_t classes, float* dlogits, k::LossStats* stats) override {
    k::loss_forward_backward(kind, logits, labels, batch, classes, dlogits, stats);
  }
  void adam_update(int64_t n, const k::AdamSettings& s, const float* hyper, const float* grad, float* w, float* m,
                   float* v) override {
    k::adam_update(n, s, hyper, grad, w, m, v);
  }
  void sgd_update(int64_t n, const k::SgdSettings& s, const float* hyper, const float* grad, float* w,
                  float* m) override {
    k::sgd_update(n, s, hyper, grad, w, m);
  }
  void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                             double* stat, int64_t* count) override {
    k::weight_row_statistics(latent, mask, rows, cols, bits, stat, count);
  }
  void weight_row_statistics_blocks(const k::BlockLayoutView& layout, const float* latent, int bits, double* stat,
                                    int64_t* count) override {
    k::weight_row_statistics_blocks(layout, latent, bits, stat, count);
  }
  void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count,
                     float* scales) override {
    k::weight_scales(bits, per_row, rows, stat, count, scales);
  }
  void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                       const float* scales, bool per_row, float* effective) override {
    k::weight_quantize(latent, mask, rows, cols, bits, scales, per_row, effective);
  }
  void weight_quantize_blocks(const k::BlockLayoutView& layout, const float* latent, int bits, const float* scales,
                              bool per_row, float* effective) override {
    k::weight_quantize_blocks(layout, latent, bits, scales, per_row, effective);
  }
  void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                       float* grad_latent) override {
    k::weight_backward(latent, grad_effective, mask, n, clip, grad_latent);
  }
  void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                              float* grad_latent) override {
    k::weight_backward_blocks(latent, grad_effective, n, clip, grad_latent);
  }
  void weight_clip(int64_t n, float clip, float* latent) override { k::weight_clip(n, clip, latent); }
  void gather_batch(const k::ImageSet& set, const int64_t* indices, const k::SampleTransform* transforms, int64_t n,
                    const float* lut, float* x, int32_t* y) override {
    k::gather_batch(set, indices, transforms, n, lut, x, y);
  }

  std::unique_ptr<KeptWeights> kept_weights(const k::BsrLayout& layout, KeptUnit unit, int, const std::string&) override {
    return make_cpu_kept_weights(layout, unit);
  }
  std::unique_ptr<BinaryWeights> binary_weights(const k::BsrLayout& layout) override {
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
