#pragma once
// 2-D convolution (NCHW, square kernel, zero padding) as im2col + GEMM. The weight is
// [out_ch, in_ch, k, k], viewed as the matrix [out_ch, in_ch*k*k] for the constraint, with the
// same forward/backward contract as Linear.
#include <cstdint>
#include <memory>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/framework/ops.hpp"

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
  std::vector<Param> params() override;
  WeightConstraint* constraint() override { return constraint_.get(); }
  void begin_epoch(int epoch) override;
  void after_optimizer_step() override;
  int64_t macs(const Shape& input) const override;
  void to(Device device) override;

  int64_t in_channels() const { return in_ch_; }
  int64_t out_channels() const { return out_ch_; }
  int kernel() const { return kernel_; }
  int stride() const { return stride_; }
  int padding() const { return padding_; }
  bool has_bias() const { return has_bias_; }
  Tensor& weight() { return weight_; }              // [out_ch, in_ch, k, k]
  const Tensor& weight() const { return weight_; }
  Tensor& bias() { return bias_; }                  // [out_ch]; empty when !has_bias()
  const Tensor& bias() const { return bias_; }
  Tensor& weight_grad() { return weight_grad_; }
  Tensor& bias_grad() { return bias_grad_; }
  Tensor effective_weight();

 private:
  Tensor backward_impl(const Tensor& grad_y, bool input_grad);  // dx empty when !input_grad
  const Tensor& refresh_effective();
  ops::ConvGeometry geometry(const Tensor& x, const char* where) const;

  int64_t in_ch_, out_ch_;
  int kernel_, stride_, padding_;
  bool has_bias_;
  std::unique_ptr<WeightConstraint> constraint_;
  Tensor weight_, bias_, weight_grad_, bias_grad_;
  Device device_ = Device::Cpu;
  Tensor effective_, grad_effective_, grad_latent_;
  Tensor input_;                     // cached forward input
  ops::ConvScratch scratch_;         // im2col of a group of samples, GEMM result
  const Tensor* forward_weight_ = nullptr;  // W_eff used by the last forward
};

}  // namespace bitblock
