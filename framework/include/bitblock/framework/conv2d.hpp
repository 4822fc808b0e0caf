#pragma once
// 2-D convolution (NCHW, square kernel, zero padding) as im2col + GEMM. The weight is
// [out_ch, in_ch, k, k], viewed as the matrix [out_ch, in_ch*k*k] for the constraint, with the
// same forward/backward contract as Linear. The weights, the bias and their path are the weight
// part, weights() (weight_matrix.hpp): dense masked, the grouped GEMMs W_eff x columns
// [C*k*k, samples * OH*OW] (ops::conv2d_forward / conv2d_backward); on the kept weights (blocks,
// rows, columns or elements), the weight part's products on the patch rows
// [samples * OH*OW, C*k*k] of a group of samples (kernels/patches.hpp), the outputs transposed
// into NCHW. Groups are sized by the device.
#include <cstdint>
#include <memory>

#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/framework/ops.hpp"
#include "bitblock/framework/weight_matrix.hpp"

namespace bitblock {

class Conv2d : public Layer {
 public:
  // The constraint, when given, must be sized [out_channels, in_channels*kernel*kernel].
  // Weights start at zero: weights()->init() (He uniform with fan_in = in_channels*k*k).
  Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride = 1, int padding = 0,
         bool bias = true, std::unique_ptr<WeightConstraint> constraint = nullptr);

  std::string kind() const override { return "conv2d"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;   // input [C, H, W]
  Tensor forward(const Tensor& x, Context& ctx) override;  // x [N, C, H, W]
  Tensor forward_taking(Tensor&& x, Context& ctx) override;  // keeps x itself, not a copy
  Tensor backward(const Tensor& grad_y) override;
  void backward_params(const Tensor& grad_y) override;
  std::vector<Param> params() override { return w_.params(); }
  WeightMatrix* weights() override { return &w_; }
  int64_t macs(const Shape& input) const override;
  void to(const ExecContextPtr& ctx) override;

  int64_t in_channels() const { return in_ch_; }
  int64_t out_channels() const { return out_ch_; }
  int kernel() const { return kernel_; }
  int stride() const { return stride_; }
  int padding() const { return padding_; }

 private:
  Tensor backward_impl(const Tensor& grad_y, bool input_grad);  // dx empty when !input_grad
  Tensor forward_kept_input();  // the output of input_
  void forward_dense(const Tensor& x, const ops::ConvGeometry& g, Tensor& y);
  void forward_patch_rows(const Tensor& x, const ops::ConvGeometry& g, Tensor& y);
  void backward_dense(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx);
  void backward_patch_rows(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx);
  ops::ConvGeometry geometry(const Tensor& x, const char* where) const;

  int64_t in_ch_, out_ch_;
  int kernel_, stride_, padding_;
  WeightMatrix w_;
  Tensor grad_effective_;            // dense path: dW_eff summed over the batch
  Tensor input_;                     // cached forward input
  // Scratch. Dense: im2col of a group of samples, GEMM result. Patch rows (kept path, binary
  // GEMM): the group's patch rows, its outputs (or output gradients) as rows [pixels, out_ch],
  // the patch rows' gradient.
  ops::ConvScratch scratch_;
  Tensor patches_, out_rows_, patch_grad_;
};

}  // namespace bitblock
