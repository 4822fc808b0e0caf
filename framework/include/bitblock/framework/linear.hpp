#pragma once
// Fully connected layer: y = x W_eff^T + b with W [out, in] (rows = output units) and
// W_eff = constraint->apply(W) when a constraint is set (every forward, training or not),
// else W itself. Backward: dW_eff = dy^T x, then the constraint's straight-through backward
// (only kept weights learn); dx = dy W_eff. The weights and the path the products take (dense
// masked, or compact on the kept blocks, rows or columns) are a WeightMatrix (weight_matrix.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/framework/weight_matrix.hpp"

namespace bitblock {

class Linear : public Layer {
 public:
  // The constraint, when given, must be sized [out, in]. Weights start at zero: call init().
  Linear(int64_t in_features, int64_t out_features, bool bias = true,
         std::unique_ptr<WeightConstraint> constraint = nullptr);

  // He/Kaiming uniform: W ~ U(-sqrt(6 / in), sqrt(6 / in)), bias 0.
  void init(Rng& rng);

  std::string kind() const override { return "linear"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;
  Tensor forward(const Tensor& x, Context& ctx) override;  // x: [batch, ...] with in features per sample
  Tensor backward(const Tensor& grad_y) override;
  void backward_params(const Tensor& grad_y) override;
  // Compact path: "weight" is the compact tensor of kept units (weight_matrix.hpp).
  std::vector<Param> params() override;
  WeightConstraint* constraint() override { return w_.constraint(); }
  void begin_epoch(int epoch) override { w_.begin_epoch(epoch); }
  void after_optimizer_step() override { w_.after_optimizer_step(); }
  int64_t macs(const Shape& input) const override;
  void to(Device device) override;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }
  // Latent weights [out, in]. On the compact path the kept units are copied back from the compact
  // tensor first; what is written here reaches the compact tensor at the next forward.
  Tensor& weight() { return w_.weight(); }
  Tensor& bias() { return bias_; }                  // [out]; empty when !has_bias()
  const Tensor& bias() const { return bias_; }
  // Weight gradient [out, in]; on the compact path a copy of the kept weights' gradients (0 elsewhere).
  Tensor& weight_grad() { return w_.weight_grad(); }
  Tensor& bias_grad() { return bias_grad_; }
  // The weights forward uses, computed now from the latent weights (copy of W without a constraint).
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

  int64_t in_, out_;
  bool has_bias_;
  WeightMatrix w_;
  Tensor bias_, bias_grad_;
  Tensor input_;                     // cached forward input, [batch, in]
};

}  // namespace bitblock
