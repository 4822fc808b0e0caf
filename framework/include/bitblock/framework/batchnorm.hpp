#pragma once
// Batch normalisation over the channel axis of [N, C] or [N, C, H, W] inputs:
// y = gamma * (x - mean) / sqrt(var + eps) + beta. Training uses the batch statistics (biased
// variance) and updates the running ones: running = (1 - momentum) * running + momentum * batch,
// with the unbiased variance for running_var. Evaluation (Context.training false) uses the
// running statistics. The arithmetic is kernels/batchnorm.hpp's.
#include <cstdint>

#include "bitblock/framework/layer.hpp"

namespace bitblock {

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(int64_t features, float momentum = 0.1f, float eps = 1e-5f);

  std::string kind() const override { return "batchnorm"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;  // [C] or [C, H, W]
  Tensor forward(const Tensor& x, Context& ctx) override;
  // Forward with the activation layer after it in the same pass (Sequential fuses the pair): the
  // output is the activation's, and the next backward takes the gradient at that output.
  Tensor forward_activated(const Tensor& x, Context& ctx, const kernels::ActSpec& act);
  Tensor backward(const Tensor& grad_y) override;         // either mode (eval: statistics fixed)
  std::vector<Param> params() override;                   // "gamma", "beta" (no weight decay)
  std::vector<Buffer> buffers() override;                 // "running_mean", "running_var"
  void to(const ExecContextPtr& ctx) override;

  int64_t features() const { return features_; }
  float momentum() const { return momentum_; }
  float eps() const { return eps_; }
  Tensor& gamma() { return gamma_; }
  const Tensor& gamma() const { return gamma_; }
  Tensor& beta() { return beta_; }
  const Tensor& beta() const { return beta_; }
  Tensor& running_mean() { return running_mean_; }
  const Tensor& running_mean() const { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  const Tensor& running_var() const { return running_var_; }
  Tensor& gamma_grad() { return gamma_grad_; }
  Tensor& beta_grad() { return beta_grad_; }

 private:
  int64_t features_;
  float momentum_, eps_;
  Tensor gamma_, beta_, gamma_grad_, beta_grad_, running_mean_, running_var_;
  Tensor xhat_;            // normalised input of the last forward
  Tensor inv_std_;         // [C] 1 / sqrt(var + eps) used by the last forward
  bool trained_ = false;   // last forward used batch statistics
  kernels::ActSpec act_;   // the activation the last forward applied (identity: none)
};

}  // namespace bitblock
