// The tensor ops (ops.hpp): shape and context checks, then one kernel call per step in the
// tensors' execution context (BITBLOCK_RUN, backend.hpp): the CPU path, or the CUDA path on the
// context's stream.
#include "bitblock/framework/ops.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "backend/backend.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/kernels/activation.hpp"
#include "bitblock/kernels/batch.hpp"
#include "bitblock/kernels/batchnorm.hpp"
#include "bitblock/kernels/bias.hpp"
#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/conv.hpp"
#include "bitblock/kernels/dropout.hpp"
#include "bitblock/kernels/elementwise.hpp"
#include "bitblock/kernels/gemm.hpp"
#include "bitblock/kernels/loss.hpp"
#include "bitblock/kernels/optimizer.hpp"
#include "bitblock/kernels/patches.hpp"
#include "bitblock/kernels/pool.hpp"
#include "bitblock/kernels/transpose.hpp"

namespace bitblock {

RandomStream::RandomStream(const Rng& rng, const ExecContextPtr& ctx)
    : cursor_(Array<uint64_t>(std::vector<uint64_t>{rng.state(), rng.increment()}).to(ctx)) {}

void RandomStream::reset(const Rng& rng) { cursor_.assign({rng.state(), rng.increment()}); }

Rng RandomStream::rng() const {
  const std::vector<uint64_t> c = cursor_.to_vector();
  Rng r;
  r.restore(c[0], c[1]);
  return r;
}

namespace ops {
namespace {

namespace k = kernels;

// The execution context of the first operand; every other one must be compatible with it (the
// same context, or the CPU).
template <typename First, typename... Rest>
const ExecContext& on(const char* op, const First& first, const Rest&... rest) {
  const ExecContext& c = *first.context();
  if (((!compatible(c, *rest.context())) || ...))
    throw std::logic_error(std::string("ops::") + op + ": operands in different execution contexts");
  return c;
}

void expect(bool ok, const char* op, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string("ops::") + op + ": " + what);
}

}  // namespace

int64_t rows_of(const Tensor& t, int64_t cols) { return cols > 0 ? t.numel() / cols : 0; }

void matmul(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const Tensor& a, const Tensor& b,
            float beta, Tensor& c) {
  expect(a.numel() >= m * k && b.numel() >= k * n && c.numel() >= m * n, "matmul", "operands smaller than the product");
  auto& be = on("matmul", a, b, c);
  BITBLOCK_RUN(be, gemm, trans_a, trans_b, m, n, k, alpha, a.data(), trans_a ? m : k, b.data(), trans_b ? k : n, beta,
               c.data(), n);
}

void add_bias_rows(Tensor& y, const Tensor& bias) {
  auto& be = on("add_bias_rows", y, bias);
  BITBLOCK_RUN(be, add_bias_rows, y.data(), bias.data(), rows_of(y, bias.numel()), bias.numel());
}

void sum_rows_into(const Tensor& y, Tensor& out) {
  auto& be = on("sum_rows_into", y, out);
  BITBLOCK_RUN(be, sum_rows_into, y.data(), rows_of(y, out.numel()), out.numel(), out.data());
}

void add_bias_channels(Tensor& y, const Tensor& bias) {
  const int64_t batch = y.dim(0), channels = bias.numel();
  auto& be = on("add_bias_channels", y, bias);
  BITBLOCK_RUN(be, add_bias_channels, y.data(), bias.data(), batch, channels, y.numel() / (batch * channels));
}

void sum_channels_into(const Tensor& y, Tensor& out) {
  const int64_t batch = y.dim(0), channels = out.numel();
  auto& be = on("sum_channels_into", y, out);
  BITBLOCK_RUN(be, sum_channels_into, y.data(), batch, channels, y.numel() / (batch * channels), out.data());
}

void axpy(float alpha, const Tensor& x, Tensor& y) {
  expect(x.numel() == y.numel(), "axpy", "sizes differ");
  auto& be = on("axpy", x, y);
  BITBLOCK_RUN(be, axpy, y.numel(), alpha, x.data(), y.data());
}

void multiply(const Tensor& x, const Tensor& m, Tensor& y) {
  expect(x.numel() == m.numel() && x.numel() == y.numel(), "multiply", "sizes differ");
  auto& be = on("multiply", x, m, y);
  BITBLOCK_RUN(be, multiply, y.numel(), x.data(), m.data(), y.data());
}

void conv2d_forward(const Tensor& x, const Tensor& w, const ConvGeometry& g, Tensor& y, ConvScratch& s) {
  auto& be = on("conv2d_forward", x, w, y);
  const int64_t kk = g.patch_size(), pixels = g.out_pixels(), out_ch = w.dim(0);
  const int64_t in_size = g.image_size(), out_size = out_ch * pixels;
  for_each_group(x.device(), Unrolled::Columns, g, x.dim(0), [&](int64_t n0, int64_t gs) {
    const int64_t ld = gs * pixels;
    s.cols.resize({kk, ld});
    BITBLOCK_RUN(be, im2col, x.data() + n0 * in_size, gs, g, s.cols.data(), ld);
    if (gs == 1) {  // the GEMM result already has the sample's [out_ch, pixels] layout
      BITBLOCK_RUN(be, gemm, false, false, out_ch, pixels, kk, 1.0f, w.data(), kk, s.cols.data(), ld, 0.0f,
                   y.data() + n0 * out_size, pixels);
      return;
    }
    s.out_cols.resize({out_ch, ld});
    BITBLOCK_RUN(be, gemm, false, false, out_ch, ld, kk, 1.0f, w.data(), kk, s.cols.data(), ld, 0.0f, s.out_cols.data(),
                 ld);
    BITBLOCK_RUN(be, columns_to_maps, s.out_cols.data(), ld, out_ch, pixels, gs, y.data() + n0 * out_size);
  });
}

void conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvGeometry& g, bool accumulate,
                     Tensor& dw, Tensor* dx, ConvScratch& s) {
  auto& be = on("conv2d_backward", x, w, dy, dw);
  if (dx) on("conv2d_backward", x, *dx);
  const int64_t kk = g.patch_size(), pixels = g.out_pixels(), out_ch = w.dim(0);
  const int64_t in_size = g.image_size(), out_size = out_ch * pixels;
  for_each_group(x.device(), Unrolled::Columns, g, x.dim(0), [&](int64_t n0, int64_t gs) {
    const int64_t ld = gs * pixels;
    const float* d = dy.data() + n0 * out_size;
    if (gs > 1) {  // the group's output gradients side by side: [out_ch, gs*pixels]
      s.out_cols.resize({out_ch, ld});
      BITBLOCK_RUN(be, maps_to_columns, d, out_ch, pixels, gs, s.out_cols.data(), ld);
      d = s.out_cols.data();
    }
    s.cols.resize({kk, ld});
    BITBLOCK_RUN(be, im2col, x.data() + n0 * in_size, gs, g, s.cols.data(), ld);
    // dW (+)= dY cols^T; without accumulate the first group overwrites.
    const float beta = (!accumulate && n0 == 0) ? 0.0f : 1.0f;
    BITBLOCK_RUN(be, gemm, false, true, out_ch, kk, ld, 1.0f, d, ld, s.cols.data(), ld, beta, dw.data(), kk);
    if (!dx) return;
    // dcols = W^T dY, reusing the column buffer, then scattered back onto the images.
    BITBLOCK_RUN(be, gemm, true, false, kk, ld, out_ch, 1.0f, w.data(), kk, d, ld, 0.0f, s.cols.data(), ld);
    BITBLOCK_RUN(be, col2im, s.cols.data(), ld, gs, g, dx->data() + n0 * in_size);
  });
}

int64_t conv_group(Device device, Unrolled layout, const ConvGeometry& g, int64_t batch) {
  const backend::Backend& be = backend::of(device);
  const int64_t budget = layout == Unrolled::Columns ? be.column_budget() : be.patch_budget();
  return std::clamp<int64_t>(budget / std::max<int64_t>(1, g.patch_size() * g.out_pixels()), 1, batch);
}
void image_to_patches(const Tensor& x, int64_t first, int64_t count, const ConvGeometry& g, Tensor& patches) {
  expect(patches.numel() >= count * g.out_pixels() * g.patch_size(), "image_to_patches", "patches too small");
  auto& be = on("image_to_patches", x, patches);
  BITBLOCK_RUN(be, image_to_patches, x.data() + first * g.image_size(), count, g, patches.data(), g.patch_size());
}

void patches_to_image(const Tensor& patches, int64_t count, const ConvGeometry& g, Tensor& dx, int64_t first) {
  auto& be = on("patches_to_image", patches, dx);
  BITBLOCK_RUN(be, patches_to_image, patches.data(), g.patch_size(), count, g, dx.data() + first * g.image_size());
}

void rows_to_maps(const Tensor& rows, int64_t count, int64_t pixels, int64_t channels, Tensor& maps, int64_t first) {
  auto& be = on("rows_to_maps", rows, maps);
  BITBLOCK_RUN(be, transpose, rows.data(), count, pixels, channels, channels, pixels * channels,
               maps.data() + first * channels * pixels, pixels, channels * pixels);
}

void maps_to_rows(const Tensor& maps, int64_t first, int64_t count, int64_t pixels, int64_t channels, Tensor& rows) {
  auto& be = on("maps_to_rows", maps, rows);
  BITBLOCK_RUN(be, transpose, maps.data() + first * channels * pixels, count, channels, pixels, pixels,
               channels * pixels, rows.data(), channels, pixels * channels);
}

void activation_forward(k::ActFn fn, int bits, float max, const Tensor& x, Tensor& y) {
  expect(x.numel() == y.numel(), "activation_forward", "sizes differ");
  auto& be = on("activation_forward", x, y);
  BITBLOCK_RUN(be, activation_forward, fn, bits, max, x.numel(), x.data(), y.data());
}

void activation_backward(k::ActFn fn, int bits, float max, const Tensor& x, const Tensor& dy, Tensor& dx) {
  expect(x.numel() == dy.numel() && dy.numel() == dx.numel(), "activation_backward", "sizes differ");
  auto& be = on("activation_backward", x, dy, dx);
  BITBLOCK_RUN(be, activation_backward, fn, bits, max, x.numel(), x.data(), dy.data(), dx.data());
}

void batchnorm_forward(bool training, float momentum, float eps, const Tensor& x, BatchNormTensors& bn, Tensor& xhat,
                       Tensor& y, const k::ActSpec& act) {
  auto& be = on("batchnorm_forward", x, bn.gamma, bn.beta, bn.running_mean, bn.running_var, bn.inv_std, xhat, y);
  const int64_t batch = x.dim(0), channels = bn.gamma.numel(), pixels = x.numel() / (batch * channels);
  if (training) {
    BITBLOCK_RUN(be, batchnorm_forward_train, x.data(), batch, channels, pixels, bn.gamma.data(), bn.beta.data(),
                 momentum, eps, bn.running_mean.data(), bn.running_var.data(), bn.inv_std.data(), xhat.data(),
                 y.data(), act);
  } else {
    BITBLOCK_RUN(be, batchnorm_forward_eval, x.data(), batch, channels, pixels, bn.gamma.data(), bn.beta.data(), eps,
                 bn.running_mean.data(), bn.running_var.data(), bn.inv_std.data(), xhat.data(), y.data(), act);
  }
}

void batchnorm_backward(bool trained, const Tensor& dy, const Tensor& xhat, const BatchNormTensors& bn,
                        Tensor& gamma_grad, Tensor& beta_grad, Tensor& dx, const k::ActSpec& act) {
  const int64_t batch = dy.dim(0), channels = bn.gamma.numel(), pixels = dy.numel() / (batch * channels);
  auto& be = on("batchnorm_backward", dy, xhat, bn.gamma, bn.beta, bn.inv_std, gamma_grad, beta_grad, dx);
  BITBLOCK_RUN(be, batchnorm_backward, dy.data(), xhat.data(), batch, channels, pixels, bn.gamma.data(),
               bn.beta.data(), bn.inv_std.data(), trained, gamma_grad.data(), beta_grad.data(), dx.data(), act);
}

void maxpool_forward(const Tensor& x, int kernel, int stride, Tensor& y, Array<int32_t>& argmax) {
  auto& be = on("maxpool_forward", x, y, argmax);
  BITBLOCK_RUN(be, maxpool_forward, x.data(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), kernel, stride, y.data(),
               argmax.data());
}

void maxpool_backward(const Tensor& dy, const Array<int32_t>& argmax, int kernel, int stride, Tensor& dx) {
  auto& be = on("maxpool_backward", dy, argmax, dx);
  BITBLOCK_RUN(be, maxpool_backward, dy.data(), argmax.data(), dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3), kernel,
               stride, dx.data());
}

void dropout_mask(RandomStream& random, float p, Tensor& mask) {
  auto& be = on("dropout_mask", random, mask);
  BITBLOCK_RUN(be, dropout_mask, random.cursor(), mask.numel(), p, mask.data());
}

void loss(k::LossKind kind, const Tensor& logits, const Array<int32_t>& labels, Tensor* dlogits,
          Array<k::LossStats>& stats) {
  const char* where = kind == k::LossKind::CrossEntropy ? "cross_entropy" : "squared_hinge";
  if (logits.rank() != 2 || logits.dim(1) < 1)
    fail_input(where, "expects logits [batch, classes], got " + shape_str(logits.shape()));
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  expect(labels.size() >= batch, "loss", "fewer labels than samples");
  if (labels.device() == Device::Cpu) {  // labels on a device come from a checked data set
    for (int64_t n = 0; n < batch; ++n)
      if (labels.host()[n] < 0 || labels.host()[n] >= classes)
        fail_input(where, "label " + std::to_string(labels.host()[n]) + " of sample " + std::to_string(n) +
                              " outside 0.." + std::to_string(classes - 1));
  }
  auto& be = on("loss", logits, labels, stats);
  if (dlogits) {
    on("loss", logits, *dlogits);
    dlogits->resize(logits.shape());
  }
  BITBLOCK_RUN(be, loss_forward_backward, kind, logits.data(), labels.data(), batch, classes,
               dlogits ? dlogits->data() : nullptr, stats.data());
}

void adam_update(const k::AdamSettings& s, const Tensor& hyper, const Tensor& grad, Tensor& w, Tensor& m, Tensor& v) {
  expect(grad.numel() == w.numel() && m.numel() == w.numel() && v.numel() == w.numel(), "adam_update", "sizes differ");
  auto& be = on("adam_update", hyper, grad, w, m, v);
  BITBLOCK_RUN(be, adam_update, w.numel(), s, hyper.data(), grad.data(), w.data(), m.data(), v.data());
}

void sgd_update(const k::SgdSettings& s, const Tensor& hyper, const Tensor& grad, Tensor& w, Tensor& m) {
  expect(grad.numel() == w.numel() && m.numel() == w.numel(), "sgd_update", "sizes differ");
  auto& be = on("sgd_update", hyper, grad, w, m);
  BITBLOCK_RUN(be, sgd_update, w.numel(), s, hyper.data(), grad.data(), w.data(), m.data());
}

void weight_quantize(int bits, bool per_row, const Tensor& latent, const Array<uint8_t>& mask, int64_t rows,
                     int64_t cols, ConstraintScratch& scratch, Tensor& scales, Tensor& effective) {
  auto& be = on("weight_quantize", latent, mask, scratch.stat, scratch.count, scales, effective);
  if (bits != 32) {
    BITBLOCK_RUN(be, weight_row_statistics, latent.data(), mask.data(), rows, cols, bits, scratch.stat.data(),
                 scratch.count.data());
    BITBLOCK_RUN(be, weight_scales, bits, per_row, rows, scratch.stat.data(), scratch.count.data(), scales.data());
  }
  BITBLOCK_RUN(be, weight_quantize, latent.data(), mask.data(), rows, cols, bits, scales.data(), per_row,
               effective.data());
}

void weight_quantize_blocks(int bits, bool per_row, const KeptWeights& layout, const Tensor& latent,
                            ConstraintScratch& scratch, Tensor& scales, Tensor& effective) {
  auto& be = on("weight_quantize_blocks", latent, scratch.stat, scratch.count, scales, effective);
  const k::BlockLayoutView view = layout.view();
  if (bits != 32) {
    BITBLOCK_RUN(be, weight_row_statistics_blocks, view, latent.data(), bits, scratch.stat.data(),
                 scratch.count.data());
    BITBLOCK_RUN(be, weight_scales, bits, per_row, view.rows, scratch.stat.data(), scratch.count.data(), scales.data());
  }
  BITBLOCK_RUN(be, weight_quantize_blocks, view, latent.data(), bits, scales.data(), per_row, effective.data());
}

void weight_backward(float clip, const Tensor& latent, const Tensor& grad_effective, const Array<uint8_t>& mask,
                     Tensor& grad_latent) {
  auto& be = on("weight_backward", latent, grad_effective, mask, grad_latent);
  BITBLOCK_RUN(be, weight_backward, latent.data(), grad_effective.data(), mask.data(), latent.numel(), clip,
               grad_latent.data());
}

void weight_backward_blocks(float clip, const Tensor& latent, const Tensor& grad_effective, Tensor& grad_latent) {
  auto& be = on("weight_backward_blocks", latent, grad_effective, grad_latent);
  BITBLOCK_RUN(be, weight_backward_blocks, latent.data(), grad_effective.data(), latent.numel(), clip,
               grad_latent.data());
}

void weight_clip(float clip, Tensor& latent) {
  auto& be = on("weight_clip", latent);
  BITBLOCK_RUN(be, weight_clip, latent.numel(), clip, latent.data());
}

void gather_batch(const k::ImageSet& images, const Array<int64_t>& indices, const Array<k::SampleTransform>* transforms,
                  int64_t n, const Tensor& lut, Tensor& x, Array<int32_t>& labels) {
  auto& be = on("gather_batch", indices, lut, x, labels);
  if (transforms) on("gather_batch", x, *transforms);
  expect(indices.size() >= n && labels.size() >= n && x.numel() >= n * images.channels * images.height * images.width,
         "gather_batch", "buffers smaller than the batch");
  BITBLOCK_RUN(be, gather_batch, images, indices.data(), transforms ? transforms->data() : nullptr, n, lut.data(),
               x.data(), labels.data());
}

std::unique_ptr<KeptWeights> kept_weights(const k::BsrLayout& layout, KeptUnit unit, int bits,
                                          const ExecContextPtr& ctx, const std::string& name) {
  return backend::of(ctx->device()).kept_weights(layout, unit, bits, name, ctx);
}

std::unique_ptr<BinaryWeights> binary_weights(const k::BsrLayout& layout, const ExecContextPtr& ctx) {
  return backend::of(ctx->device()).binary_weights(layout, ctx);
}

}  // namespace ops
}  // namespace bitblock
