#pragma once
// 2-D convolution (NCHW, square kernel, zero padding) as im2col + GEMM. The weight is
// [out_ch, in_ch, k, k], viewed as the matrix [out_ch, in_ch*k*k] for the constraint, with the
// same forward/backward contract as Linear. The weights and their path are a WeightMatrix
// (weight_matrix.hpp): dense masked, the grouped GEMMs W_eff x columns [C*k*k, samples * OH*OW]
// (ops::conv2d_forward / conv2d_backward); compact (kept blocks, rows, columns or elements), the
// weight matrix's products on the patch rows [samples * OH*OW, C*k*k] of a group of samples
// (kernels/patches.hpp), the outputs transposed into NCHW. Groups are sized by the device.
#include <cstdint>
#include <memory>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/framework/ops.hpp"
#include "bitblock/framework/weight_matrix.hpp"

namespace bitblock {

class Conv2d : public Layer {
 public:
  // The constraint, when given, must be sized [out_channels, in_channels*kernel*kernel].
  // Weights start at zero: call init().
  Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride = 1, int padding = 0,
         bool bias = true, std::unique_ptr<WeightConstraint> constraint = nullptr);

  // He/Kaiming uniform with fan_in = in_channels*k*k: W ~ U(-sqrt(6 / fan_in), sqrt(6 / fan_in)), bias 0.
  void init(Rng& rng);

  std::string kind() const override { return "conv2d"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;   // input [C, H, W]
  Tensor forward(const Tensor& x, Context& ctx) override;  // x [N, C, H, W]
  Tensor backward(const Tensor& grad_y) override;
  void backward_params(const Tensor& grad_y) override;
  // Compact path: "weight" is the compact tensor of kept units (weight_matrix.hpp).
  std::vector<Param> params() override;
  WeightConstraint* constraint() override { return w_.constraint(); }
  void begin_epoch(int epoch) override { w_.begin_epoch(epoch); }
  void after_optimizer_step() override { w_.after_optimizer_step(); }
  int64_t macs(const Shape& input) const override;
  void to(Device device) override;

  int64_t in_channels() const { return in_ch_; }
  int64_t out_channels() const { return out_ch_; }
  int kernel() const { return kernel_; }
  int stride() const { return stride_; }
  int padding() const { return padding_; }
  bool has_bias() const { return has_bias_; }
  // Latent weights [out_ch, in_ch, k, k] (on the compact path copied back from the compact tensor).
  Tensor& weight() { return w_.weight(); }
  Tensor& bias() { return bias_; }                  // [out_ch]; empty when !has_bias()
  const Tensor& bias() const { return bias_; }
  Tensor& weight_grad() { return w_.weight_grad(); }
  Tensor& bias_grad() { return bias_grad_; }
  Tensor effective_weight() { return w_.effective_weight(); }

  void set_kernels(KernelChoice choice) { w_.set_kernels(choice); }
  // Inputs are sign activations: 1-bit weights multiply them on the binary GEMM (weight_matrix.hpp).
  void set_sign_input(bool on) { w_.set_sign_input(on); }
  bool sign_product() const { return w_.sign_product(); }
  // What the products run on: KeptUnit::None for dense masked, else the compact units.
  KeptUnit kept_unit() const { return w_.unit(); }
  bool packed() const { return kept_unit() != KeptUnit::None; }
  // Which implementation runs the compact path's products (empty on the dense path).
  std::string compact_kernels() const { return w_.compact_kernels(); }

 private:
  Tensor backward_impl(const Tensor& grad_y, bool input_grad);  // dx empty when !input_grad
  void forward_dense(const Tensor& x, const ops::ConvGeometry& g, Tensor& y);
  void forward_compact(const Tensor& x, const ops::ConvGeometry& g, Tensor& y);
  void backward_dense(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx);
  void backward_compact(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx);
  ops::ConvGeometry geometry(const Tensor& x, const char* where) const;

  int64_t in_ch_, out_ch_;
  int kernel_, stride_, padding_;
  bool has_bias_;
  WeightMatrix w_;
  Tensor bias_, bias_grad_;
  Tensor grad_effective_;            // dense path: dW_eff summed over the batch
  Tensor input_;                     // cached forward input
  // Scratch. Dense: im2col of a group of samples, GEMM result. Compact: the group's patch rows,
  // its outputs (or output gradients) as rows [pixels, out_ch], the patch rows' gradient.
  ops::ConvScratch scratch_;
  Tensor patches_, out_rows_, patch_grad_;
};

}  // namespace bitblock
