#include "bitblock/framework/batchnorm.hpp"

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

BatchNorm::BatchNorm(int64_t features, float momentum, float eps)
    : features_(features), momentum_(momentum), eps_(eps) {
  if (features_ <= 0) fail_input("batchnorm", "features must be positive, got " + std::to_string(features_));
  if (!(momentum_ >= 0.0f && momentum_ <= 1.0f)) fail_input("batchnorm", "momentum must be in [0, 1]");
  if (!(eps_ > 0.0f)) fail_input("batchnorm", "eps must be positive");
  gamma_ = Tensor({features_}, 1.0f);
  beta_ = Tensor({features_}, 0.0f);
  gamma_grad_ = Tensor({features_});
  beta_grad_ = Tensor({features_});
  running_mean_ = Tensor({features_}, 0.0f);
  running_var_ = Tensor({features_}, 1.0f);
  inv_std_ = Tensor({features_});
}

std::string BatchNorm::describe() const { return "batchnorm " + std::to_string(features_); }

Shape BatchNorm::output_shape(const Shape& input) const {
  if ((input.size() != 1 && input.size() != 3) || input[0] != features_)
    fail_input("batchnorm", "expects [" + std::to_string(features_) + "] or [" + std::to_string(features_) +
                                ", H, W] input, got " + shape_str(input));
  return input;
}

Tensor BatchNorm::forward(const Tensor& x, Context& ctx) { return forward_activated(x, ctx, {}); }

Tensor BatchNorm::forward_activated(const Tensor& x, Context& ctx, const kernels::ActSpec& act) {
  if (x.rank() != 2 && x.rank() != 4) fail_input("batchnorm", "expects [N, C] or [N, C, H, W], got " + shape_str(x.shape()));
  output_shape(Shape(x.shape().begin() + 1, x.shape().end()));
  trained_ = ctx.training;
  act_ = act;
  xhat_.reset(x.shape(), x.context());
  Tensor y = Tensor::for_output(x.shape(), x.context());
  ops::BatchNormTensors bn{gamma_, beta_, running_mean_, running_var_, inv_std_};
  ops::batchnorm_forward(trained_, momentum_, eps_, x, bn, xhat_, y, act_);
  return y;
}

Tensor BatchNorm::backward(const Tensor& grad_y) {
  if (grad_y.shape() != xhat_.shape() || xhat_.empty())
    fail_input("batchnorm", "backward got " + shape_str(grad_y.shape()) + " after forward of " + shape_str(xhat_.shape()));
  Tensor dx = Tensor::for_output(grad_y.shape(), grad_y.context());
  ops::BatchNormTensors bn{gamma_, beta_, running_mean_, running_var_, inv_std_};
  ops::batchnorm_backward(trained_, grad_y, xhat_, bn, gamma_grad_, beta_grad_, dx, act_);
  return dx;
}

void BatchNorm::to(const ExecContextPtr& ctx) {
  for (Tensor* t : {&gamma_, &beta_, &gamma_grad_, &beta_grad_, &running_mean_, &running_var_, &inv_std_})
    *t = t->to(ctx);
}

std::vector<Param> BatchNorm::params() {
  return {{"gamma", &gamma_, &gamma_grad_, false}, {"beta", &beta_, &beta_grad_, false}};
}

std::vector<Buffer> BatchNorm::buffers() {
  return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
}

}  // namespace bitblock
