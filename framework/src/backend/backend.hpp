#pragma once
// The op set behind the framework's tensor ops (ops.hpp): memory, the per-step kernels and the
// packed block-sparse products, on raw pointers where the backend's device keeps them. One CPU
// backend (the kernels' CPU paths, host memory) and one CUDA backend (the kernels' CUDA paths on
// one stream, device memory from the caching allocator); ops.cpp picks one from its tensors'
// device. Internal to the framework: layers see only ops.hpp and Tensor.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bitblock/framework/binary_weights.hpp"
#include "bitblock/framework/kept_weights.hpp"
#include "bitblock/framework/device.hpp"
#include "bitblock/kernels/activation.hpp"
#include "bitblock/kernels/batch.hpp"
#include "bitblock/kernels/block_layout.hpp"
#include "bitblock/kernels/conv.hpp"
#include "bitblock/kernels/loss.hpp"
#include "bitblock/kernels/optimizer.hpp"
#include "bitblock/kernels/patches.hpp"

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
  virtual Device device() const = 0;

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
  // Floats a convolution's column matrix (dense path) or patch rows (compact path) may hold:
  // samples are convolved in groups that fit.
  virtual int64_t column_budget() const = 0;
  virtual int64_t patch_budget() const = 0;

  // The per-step ops, as in kernels/include/bitblock/kernels/<op>.hpp.
  virtual void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                    const float* b, int64_t ldb, float beta, float* c, int64_t ldc) = 0;
  virtual void im2col(const float* images, int64_t count, const kernels::ConvGeometry& g, float* cols,
                      int64_t ld) = 0;
  virtual void col2im(const float* cols, int64_t ld, int64_t count, const kernels::ConvGeometry& g,
                      float* images) = 0;
  virtual void columns_to_maps(const float* cols, int64_t ld, int64_t channels, int64_t pixels, int64_t count,
                               float* maps) = 0;
  virtual void maps_to_columns(const float* maps, int64_t channels, int64_t pixels, int64_t count, float* cols,
                               int64_t ld) = 0;
  virtual void image_to_patches(const float* images, int64_t n, const kernels::PatchGeometry& g, float* patches,
                                int64_t ld) = 0;
  virtual void patches_to_image(const float* patches, int64_t ld, int64_t n, const kernels::PatchGeometry& g,
                                float* images) = 0;
  virtual void transpose(const float* a, int64_t batch, int64_t rows, int64_t cols, int64_t lda, int64_t a_stride,
                         float* b, int64_t ldb, int64_t b_stride) = 0;
  virtual void add_bias_rows(float* y, const float* bias, int64_t rows, int64_t cols) = 0;
  virtual void sum_rows_into(const float* y, int64_t rows, int64_t cols, float* out) = 0;
  virtual void add_bias_channels(float* y, const float* bias, int64_t batch, int64_t channels, int64_t pixels) = 0;
  virtual void sum_channels_into(const float* y, int64_t batch, int64_t channels, int64_t pixels, float* out) = 0;
  virtual void axpy(int64_t n, float alpha, const float* x, float* y) = 0;
  virtual void multiply(int64_t n, const float* x, const float* m, float* y) = 0;
  virtual void fill(int64_t n, float value, float* y) = 0;
  virtual void activation_forward(kernels::ActFn fn, int bits, float max, int64_t n, const float* x, float* y) = 0;
  virtual void activation_backward(kernels::ActFn fn, int bits, float max, int64_t n, const float* x,
                                   const float* dy, float* dx) = 0;
  virtual void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels,
                                       const float* gamma, const float* beta, float momentum, float eps,
                                       float* running_mean, float* running_var, float* inv_std, float* xhat,
                                       float* y) = 0;
  virtual void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels,
                                      const float* gamma, const float* beta, float eps, const float* running_mean,
                                      const float* running_var, float* inv_std, float* xhat, float* y) = 0;
  virtual void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels,
                                  int64_t pixels, const float* gamma, const float* inv_std, bool trained,
                                  float* gamma_grad, float* beta_grad, float* dx) = 0;
  virtual void maxpool_forward(const float* x, int64_t planes, int64_t h, int64_t w, int kernel, int stride,
                               float* y, int32_t* argmax) = 0;
  virtual void maxpool_backward(const float* dy, const int32_t* argmax, int64_t planes, int64_t h, int64_t w,
                                int kernel, int stride, float* dx) = 0;
  virtual void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask) = 0;
  virtual void loss_forward_backward(kernels::LossKind kind, const float* logits, const int32_t* labels,
                                     int64_t batch, int64_t classes, float* dlogits, kernels::LossStats* stats) = 0;
  virtual void adam_update(int64_t n, const kernels::AdamSettings& s, const float* hyper, const float* grad,
                           float* w, float* m, float* v) = 0;
  virtual void sgd_update(int64_t n, const kernels::SgdSettings& s, const float* hyper, const float* grad, float* w,
                          float* m) = 0;
  virtual void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                                     double* stat, int64_t* count) = 0;
  virtual void weight_row_statistics_blocks(const kernels::BlockLayoutView& layout, const float* latent, int bits,
                                            double* stat, int64_t* count) = 0;
  virtual void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count,
                             float* scales) = 0;
  virtual void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                               const float* scales, bool per_row, float* effective) = 0;
  virtual void weight_quantize_blocks(const kernels::BlockLayoutView& layout, const float* latent, int bits,
                                      const float* scales, bool per_row, float* effective) = 0;
  virtual void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n,
                               float clip, float* grad_latent) = 0;
  virtual void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                                      float* grad_latent) = 0;
  virtual void weight_clip(int64_t n, float clip, float* latent) = 0;
  virtual void gather_batch(const kernels::ImageSet& set, const int64_t* indices,
                            const kernels::SampleTransform* transforms, int64_t n, const float* lut, float* x,
                            int32_t* y) = 0;

  // The compact path's kept units of a layout (kept_weights.hpp).
  virtual std::unique_ptr<KeptWeights> kept_weights(const kernels::BsrLayout& layout, KeptUnit unit, int bits,
                                                    const std::string& name) = 0;
  // Binary weights on a layout's kept blocks for sign inputs (binary_weights.hpp), or null where
  // this backend runs no binary GEMM on such a layout (the layer keeps its float product).
  virtual std::unique_ptr<BinaryWeights> binary_weights(const kernels::BsrLayout& layout) = 0;
};

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
