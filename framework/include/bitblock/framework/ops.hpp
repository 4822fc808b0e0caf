#pragma once
// The compute seam: every op of a training step, on tensors. An op runs in its tensors' execution
// context (exec_context.hpp; all in one, or all on the CPU, a logic error otherwise): the kernels'
// CPU paths on the host, their CUDA paths on the context's stream on a GPU. kernels/include/bitblock/kernels/<op>.hpp hold
// the contracts (formulas, orders of summation, which results equal the CPU's bit for bit).
// Layers, the loss, the optimizer, the constraint and the trainer express a step with these
// calls: they hold no loops over elements, no OpenMP, no #ifdef and no device branches.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/array.hpp"
#include "bitblock/framework/binary_weights.hpp"
#include "bitblock/framework/kept_weights.hpp"
#include "bitblock/framework/tensor.hpp"
#include "bitblock/kernels/activation.hpp"
#include "bitblock/kernels/batch.hpp"
#include "bitblock/kernels/conv_geometry.hpp"
#include "bitblock/kernels/loss.hpp"
#include "bitblock/kernels/optimizer.hpp"

namespace bitblock {

// The per-batch random stream dropout draws from: PCG32's {state, increment} on a device. Ops
// that draw n numbers move it n numbers on, exactly as the same draws from Rng would.
class RandomStream {
 public:
  explicit RandomStream(const Rng& rng, const ExecContextPtr& ctx = host_context());
  Device device() const { return cursor_.device(); }
  const ExecContextPtr& context() const { return cursor_.context(); }
  // Restart from rng's position (an upload on a device).
  void reset(const Rng& rng);
  uint64_t* cursor() { return cursor_.data(); }
  // The generator at the stream's position.
  Rng rng() const;

 private:
  Array<uint64_t> cursor_;
};

namespace ops {

using kernels::ConvGeometry;

// Rows a tensor has when viewed as a matrix of `cols` columns.
int64_t rows_of(const Tensor& t, int64_t cols);

// --- Dense products, biases, element-wise ---------------------------------------------------
// c = alpha op(a) op(b) + beta c for matrices stored row-major with compact rows: a holds
// [m, k] ([k, m] when trans_a), b [k, n] ([n, k] when trans_b), c [m, n]; m, n, k given.
void matmul(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const Tensor& a,
            const Tensor& b, float beta, Tensor& c);
// y [rows, cols] += bias [cols] per row; out [cols] += column sums of y.
void add_bias_rows(Tensor& y, const Tensor& bias);
void sum_rows_into(const Tensor& y, Tensor& out);
// y [N, C, ...] += bias [C] per channel; out [C] += channel sums of y.
void add_bias_channels(Tensor& y, const Tensor& bias);
void sum_channels_into(const Tensor& y, Tensor& out);
void axpy(float alpha, const Tensor& x, Tensor& y);           // y += alpha x
void multiply(const Tensor& x, const Tensor& m, Tensor& y);   // y = x * m

// --- Convolution (im2col + GEMM over groups of samples) --------------------------------------
struct ConvScratch {
  Tensor cols, out_cols;  // column matrix of a group of samples, GEMM result of the group
};
// y [N, out_ch, OH, OW] = conv(x [N, C, H, W], w [out_ch, C*k*k]) (no bias).
void conv2d_forward(const Tensor& x, const Tensor& w, const ConvGeometry& g, Tensor& y, ConvScratch& s);
// dw [out_ch, C*k*k] = dY cols^T summed over the batch (added to dw when accumulate), and, when
// dx is not null, dx = col2im(W^T dY) (overwritten).
void conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& dy, const ConvGeometry& g, bool accumulate,
                     Tensor& dw, Tensor* dx, ConvScratch& s);

// Both paths run a batch in groups of samples whose unrolled input fits the device's budget for
// that layout: the dense path's column matrix [C*k*k, samples * OH*OW] (kernels/conv.hpp), the
// kept path's patch rows [samples * OH*OW, C*k*k] (kernels/patches.hpp), on which it runs the
// weight matrix's products. f(first, count) for each group, in order.
enum class Unrolled { Columns, Patches };
int64_t conv_group(Device device, Unrolled layout, const ConvGeometry& g, int64_t batch);
template <typename F>
void for_each_group(Device device, Unrolled layout, const ConvGeometry& g, int64_t batch, F f) {
  const int64_t group = conv_group(device, layout, g, batch);
  for (int64_t first = 0; first < batch; first += group) f(first, std::min(group, batch - first));
}
// Patch rows of samples [first, first + count) of x [N, C, H, W].
void image_to_patches(const Tensor& x, int64_t first, int64_t count, const ConvGeometry& g, Tensor& patches);
// The adjoint: samples [first, first + count) of dx (overwritten) from the patch rows' gradient.
void patches_to_image(const Tensor& patches, int64_t count, const ConvGeometry& g, Tensor& dx, int64_t first);
// rows [count * pixels, channels] -> samples [first, first + count) of maps [N, channels, pixels],
// and back.
void rows_to_maps(const Tensor& rows, int64_t count, int64_t pixels, int64_t channels, Tensor& maps, int64_t first);
void maps_to_rows(const Tensor& maps, int64_t first, int64_t count, int64_t pixels, int64_t channels, Tensor& rows);

// --- Activation, batch norm, pooling, dropout -----------------------------------------------
void activation_forward(kernels::ActFn fn, int bits, float max, const Tensor& x, Tensor& y);
void activation_backward(kernels::ActFn fn, int bits, float max, const Tensor& x, const Tensor& dy, Tensor& dx);

struct BatchNormTensors {
  Tensor& gamma;
  Tensor& beta;
  Tensor& running_mean;
  Tensor& running_var;
  Tensor& inv_std;
};
// x [N, C] or [N, C, H, W]; training uses (and updates) batch statistics, evaluation the running ones.
// act: an activation applied in the same pass (kernels/batchnorm.hpp); backward then takes the
// gradient at the activation's output.
void batchnorm_forward(bool training, float momentum, float eps, const Tensor& x, BatchNormTensors& bn, Tensor& xhat,
                       Tensor& y, const kernels::ActSpec& act);
void batchnorm_backward(bool trained, const Tensor& dy, const Tensor& xhat, const BatchNormTensors& bn,
                        Tensor& gamma_grad, Tensor& beta_grad, Tensor& dx, const kernels::ActSpec& act);

// x [N, C, H, W] -> y [N, C, OH, OW] and the argmax of each output.
void maxpool_forward(const Tensor& x, int kernel, int stride, Tensor& y, Array<int32_t>& argmax);
void maxpool_backward(const Tensor& dy, const Array<int32_t>& argmax, int kernel, int stride, Tensor& dx);

// mask = 0 (dropped) or 1 / (1 - p) per element, from the stream's next numel draws.
void dropout_mask(RandomStream& random, float p, Tensor& mask);

// --- Loss and optimizer -----------------------------------------------------------------------
// Loss of logits [batch, classes] with labels; dlogits (null: none) gets the gradient, stats
// (one LossStats) the running totals.
void loss(kernels::LossKind kind, const Tensor& logits, const Array<int32_t>& labels, Tensor* dlogits,
          Array<kernels::LossStats>& stats);
// hyper: the step's scalars (kernels/optimizer.hpp) on the parameters' device.
void adam_update(const kernels::AdamSettings& s, const Tensor& hyper, const Tensor& grad, Tensor& w, Tensor& m,
                 Tensor& v);
void sgd_update(const kernels::SgdSettings& s, const Tensor& hyper, const Tensor& grad, Tensor& w, Tensor& m);

// --- The weight constraint's per-step work (kernels/constraint.hpp) ---------------------------
struct ConstraintScratch {
  Array<double> stat;
  Array<int64_t> count;
};
// scales = Q's scales of the kept weights (1 or rows values), effective = Q(mask (.) latent).
void weight_quantize(int bits, bool per_row, const Tensor& latent, const Array<uint8_t>& mask, int64_t rows,
                     int64_t cols, ConstraintScratch& scratch, Tensor& scales, Tensor& effective);
void weight_quantize_blocks(int bits, bool per_row, const KeptWeights& layout, const Tensor& latent,
                            ConstraintScratch& scratch, Tensor& scales, Tensor& effective);
void weight_backward(float clip, const Tensor& latent, const Tensor& grad_effective, const Array<uint8_t>& mask,
                     Tensor& grad_latent);
void weight_backward_blocks(float clip, const Tensor& latent, const Tensor& grad_effective, Tensor& grad_latent);
void weight_clip(float clip, Tensor& latent);

// --- Batches ----------------------------------------------------------------------------------
// x [n, C, H, W] = lut[pixels of samples indices[0..n) of `images`, which live on x's device],
// each after its transform (transforms null: none); labels [0..n) = their labels.
void gather_batch(const kernels::ImageSet& images, const Array<int64_t>& indices,
                  const Array<kernels::SampleTransform>* transforms, int64_t n, const Tensor& lut, Tensor& x,
                  Array<int32_t>& labels);

// --- The kept path -----------------------------------------------------------------------------
// The kept units of a layout in a context (name: the layer, for the CUDA kernel choice log).
// bits: the constraint's weight bits (1..8, or 32 for float weights).
std::unique_ptr<KeptWeights> kept_weights(const kernels::BsrLayout& layout, KeptUnit unit, int bits,
                                          const ExecContextPtr& ctx, const std::string& name);
// Binary weights on a layout's kept blocks for sign inputs in a context, or null where its
// device has no binary GEMM for that layout (binary_weights.hpp).
std::unique_ptr<BinaryWeights> binary_weights(const kernels::BsrLayout& layout, const ExecContextPtr& ctx);

}  // namespace ops
}  // namespace bitblock
