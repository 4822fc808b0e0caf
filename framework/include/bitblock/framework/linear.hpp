#pragma once
// Fully connected layer: y = x W_eff^T + b with W [out, in] (rows = output units) and
// W_eff = constraint->apply(W) when a constraint is set (every forward, training or not),
// else W itself. Backward: dW_eff = dy^T x, then the constraint's straight-through backward
// (only kept weights learn); dx = dy W_eff.
// Kernels: a block-sparse constraint can run all three products on the kept blocks only
// (kernels::bsgemm on a BsrPlan refreshed from W_eff each step) instead of dense GEMMs on the
// masked matrix. KernelChoice::Auto picks that packed path for block structure with ratio >= 2;
// Packed forces it for any block structure; Dense always uses OpenBLAS. Other structures (and
// Conv2d) always run dense.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/kernels/bsr_plan.hpp"

namespace bitblock {

enum class KernelChoice { Auto, Dense, Packed };
const char* to_string(KernelChoice k);
KernelChoice parse_kernel_choice(const std::string& s, const std::string& where);  // InputError

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
  std::vector<Param> params() override;
  WeightConstraint* constraint() override { return constraint_.get(); }
  int64_t macs(const Shape& input) const override;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }
  Tensor& weight() { return weight_; }              // latent weights [out, in]
  const Tensor& weight() const { return weight_; }
  Tensor& bias() { return bias_; }                  // [out]; empty when !has_bias()
  const Tensor& bias() const { return bias_; }
  Tensor& weight_grad() { return weight_grad_; }
  Tensor& bias_grad() { return bias_grad_; }
  // The weights forward uses, computed now from the latent weights (copy of W without a constraint).
  Tensor effective_weight();

  void set_kernels(KernelChoice choice) { kernels_ = choice; }
  // True when forward/backward run the block-sparse kernels.
  bool packed() const;

 private:
  void sync_plan(const float* effective);  // rebuild the layout on a new mask, refresh values

  const float* refresh_effective();  // W_eff for this forward (W itself without a constraint)

  int64_t in_, out_;
  bool has_bias_;
  std::unique_ptr<WeightConstraint> constraint_;
  Tensor weight_, bias_, weight_grad_, bias_grad_;
  Tensor effective_;                 // W_eff (constraint only)
  Tensor grad_effective_, grad_latent_;  // scratch for the constrained backward
  Tensor input_;                     // cached forward input, [batch, in]
  KernelChoice kernels_ = KernelChoice::Auto;
  kernels::BsrPlan plan_;            // kept blocks of W_eff (packed path)
  uint64_t plan_mask_version_ = 0;
  bool plan_ready_ = false;
  std::vector<float> grad_blocks_;   // dW_eff of the kept blocks (packed path)
};

}  // namespace bitblock
