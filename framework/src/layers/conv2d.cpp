#include "bitblock/framework/conv2d.hpp"

#include <algorithm>
#include <cmath>

#include "bitblock/common/error.hpp"

namespace bitblock {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding, bool bias,
               std::unique_ptr<WeightConstraint> constraint)
    : in_ch_(in_channels), out_ch_(out_channels), kernel_(kernel), stride_(stride), padding_(padding),
      has_bias_(bias), constraint_(std::move(constraint)) {
  if (in_ch_ <= 0 || out_ch_ <= 0) fail_input("conv2d", "channels must be positive");
  if (kernel_ <= 0 || stride_ <= 0 || padding_ < 0)
    fail_input("conv2d", "needs kernel >= 1, stride >= 1, padding >= 0; got kernel " + std::to_string(kernel_) +
                             ", stride " + std::to_string(stride_) + ", padding " + std::to_string(padding_));
  const int64_t fan_in = in_ch_ * kernel_ * kernel_;
  if (constraint_ && (constraint_->rows() != out_ch_ || constraint_->cols() != fan_in))
    fail_input("conv2d", "constraint sized " + std::to_string(constraint_->rows()) + "x" +
                             std::to_string(constraint_->cols()) + " for a " + std::to_string(out_ch_) + "x" +
                             std::to_string(fan_in) + " weight matrix");
  weight_ = Tensor({out_ch_, in_ch_, kernel_, kernel_});
  weight_grad_ = Tensor(weight_.shape());
  if (has_bias_) {
    bias_ = Tensor({out_ch_});
    bias_grad_ = Tensor({out_ch_});
  }
}

void Conv2d::init(Rng& rng) {
  const float bound = std::sqrt(6.0f / static_cast<float>(in_ch_ * kernel_ * kernel_));
  for (float& w : weight_.values()) w = rng.uniform(-bound, bound);
  bias_.fill(0.0f);
}

std::string Conv2d::describe() const {
  std::string s = "conv2d " + std::to_string(in_ch_) + " -> " + std::to_string(out_ch_) + " k" +
                  std::to_string(kernel_) + " s" + std::to_string(stride_) + " p" + std::to_string(padding_);
  if (!has_bias_) s += " (no bias)";
  if (constraint_) s += " weight_bits " + std::to_string(constraint_->spec().weight_bits) + " " +
                        to_string(constraint_->spec().structure) + " ratio " + std::to_string(constraint_->spec().ratio);
  return s;
}

Shape Conv2d::output_shape(const Shape& input) const {
  if (input.size() != 3 || input[0] != in_ch_)
    fail_input("conv2d", "expects [" + std::to_string(in_ch_) + ", H, W] input, got " + shape_str(input));
  ops::ConvGeometry g{input[0], input[1], input[2], kernel_, stride_, padding_};
  if (input[1] + 2 * padding_ < kernel_ || input[2] + 2 * padding_ < kernel_)
    fail_input("conv2d", "kernel " + std::to_string(kernel_) + " larger than padded input " + shape_str(input));
  return {out_ch_, g.out_height(), g.out_width()};
}

ops::ConvGeometry Conv2d::geometry(const Tensor& x, const char* where) const {
  if (x.rank() != 4) fail_input("conv2d", std::string(where) + " expects [N, C, H, W], got " + shape_str(x.shape()));
  output_shape({x.dim(1), x.dim(2), x.dim(3)});
  return ops::ConvGeometry{x.dim(1), x.dim(2), x.dim(3), kernel_, stride_, padding_};
}

const Tensor& Conv2d::refresh_effective() {
  if (!constraint_) return weight_;
  effective_.reset(weight_.shape(), device_);
  constraint_->apply(weight_, effective_);
  return effective_;
}

Tensor Conv2d::effective_weight() { return refresh_effective(); }

Tensor Conv2d::forward(const Tensor& x, Context& /*ctx*/) {
  const ops::ConvGeometry g = geometry(x, "forward");
  input_.reset(x.shape(), x.device());
  input_.copy_from(x);
  forward_weight_ = &refresh_effective();
  Tensor y = Tensor::for_output({x.dim(0), out_ch_, g.out_height(), g.out_width()}, x.device());
  ops::conv2d_forward(x, *forward_weight_, g, y, scratch_);
  if (has_bias_) ops::add_bias_channels(y, bias_);
  return y;
}

Tensor Conv2d::backward(const Tensor& grad_y) { return backward_impl(grad_y, true); }

void Conv2d::backward_params(const Tensor& grad_y) { backward_impl(grad_y, false); }

Tensor Conv2d::backward_impl(const Tensor& grad_y, bool input_grad) {
  if (input_.empty()) fail_input("conv2d", "backward called before forward");
  const ops::ConvGeometry g = geometry(input_, "backward");
  if (grad_y.shape() != Shape{input_.dim(0), out_ch_, g.out_height(), g.out_width()})
    fail_input("conv2d", "backward got " + shape_str(grad_y.shape()));
  // The constrained path sums the batch into grad_effective_ first.
  Tensor* dw = &weight_grad_;
  if (constraint_) {
    grad_effective_.reset(weight_.shape(), device_);
    grad_latent_.reset(weight_.shape(), device_);
    dw = &grad_effective_;
  }
  Tensor dx = input_grad ? Tensor::for_output(input_.shape(), device_) : Tensor();
  ops::conv2d_backward(input_, *forward_weight_, grad_y, g, !constraint_, *dw, input_grad ? &dx : nullptr, scratch_);
  if (constraint_) {
    constraint_->backward(weight_, grad_effective_, grad_latent_);
    ops::axpy(1.0f, grad_latent_, weight_grad_);
  }
  if (has_bias_) ops::sum_channels_into(grad_y, bias_grad_);
  return dx;
}

void Conv2d::begin_epoch(int epoch) {
  if (!constraint_) return;
  Tensor copy;
  constraint_->begin_epoch(epoch, on_host(weight_, copy).data());
}

void Conv2d::after_optimizer_step() {
  if (constraint_) constraint_->after_step(weight_);
}

std::vector<Param> Conv2d::params() {
  std::vector<Param> p{{"weight", &weight_, &weight_grad_, true}};
  if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_, false});
  return p;
}

void Conv2d::to(Device device) {
  if (device == device_) return;
  for (Tensor* t : {&weight_, &bias_, &weight_grad_, &bias_grad_}) *t = t->to(device);
  effective_ = grad_effective_ = grad_latent_ = input_ = scratch_.cols = scratch_.out_cols = Tensor();
  forward_weight_ = nullptr;
  device_ = device;
}

int64_t Conv2d::macs(const Shape& input) const {
  const Shape out = output_shape(input);
  const int64_t per_pixel = constraint_ ? constraint_->kept() : out_ch_ * in_ch_ * kernel_ * kernel_;
  return per_pixel * out[1] * out[2];
}

}  // namespace bitblock
