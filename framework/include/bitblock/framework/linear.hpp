#pragma once
// Fully connected layer: y = x W_eff^T + b with W [out, in] (rows = output units) and
// W_eff = constraint->apply(W) when a constraint is set (every forward, training or not),
// else W itself. Backward: dW_eff = dy^T x, then the constraint's straight-through backward
// (only kept weights learn); dx = dy W_eff.
// Kernels: a block-sparse constraint with a fixed (random) mask can run the whole step on the
// kept blocks only (the packed path). The latent weights of the kept blocks then live compactly
// ([kept blocks, block_rows, block_cols], kernels::BsrLayout order) and params() hands that
// tensor and its gradient to the optimizer and to checkpoints, so quantization, the three
// products (kernels::bsgemm), the straight-through gradient, gradient zeroing and the optimizer
// step all touch 1/ratio of the matrix. The dense path is masked training as usual: the
// constraint over the whole matrix, OpenBLAS GEMMs on W_eff, the optimizer over every weight.
// KernelChoice::Auto picks the packed path for block structure, random selection and ratio >= 2;
// Packed forces it for any ratio; Dense always uses OpenBLAS. Other structures, magnitude
// pruning (its mask moves) and Conv2d run dense. Both paths compute the same W_eff and the
// same gradients of the kept weights.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/block_sparse.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"

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
  void backward_params(const Tensor& grad_y) override;
  // Packed path: "weight" is the compact tensor of kept blocks (see above).
  std::vector<Param> params() override;
  WeightConstraint* constraint() override { return constraint_.get(); }
  void begin_epoch(int epoch) override;
  void after_optimizer_step() override;
  int64_t macs(const Shape& input) const override;
  void to(Device device) override;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }
  // Latent weights [out, in]. On the packed path the kept blocks are copied back from the compact
  // tensor first; what is written here reaches the compact tensor at the next forward.
  Tensor& weight();
  Tensor& bias() { return bias_; }                  // [out]; empty when !has_bias()
  const Tensor& bias() const { return bias_; }
  // Weight gradient [out, in]; on the packed path a copy of the kept blocks' gradients (0 elsewhere).
  Tensor& weight_grad();
  Tensor& bias_grad() { return bias_grad_; }
  // The weights forward uses, computed now from the latent weights (copy of W without a constraint).
  Tensor effective_weight();

  void set_kernels(KernelChoice choice) { kernels_ = choice; }
  // True when forward/backward run the block-sparse kernels.
  bool packed() const;
  // Packed path: which implementation runs each product (after the first forward), else empty.
  std::string packed_kernels() const;

 private:
  // Packed path: block layout of the current mask and the compact latent weights, gathered from
  // weight_ when they are not the live copy.
  void ensure_compact();
  bool layout_ready() const { return blocks_ && blocks_mask_version_ == constraint_->mask_version(); }
  Tensor backward_impl(const Tensor& grad_y, bool input_grad);  // dx empty when !input_grad

  const Tensor& refresh_effective();  // W_eff for this forward (W itself without a constraint)

  int64_t in_, out_;
  bool has_bias_;
  std::unique_ptr<WeightConstraint> constraint_;
  Device device_ = Device::Cpu;
  Tensor weight_, bias_, weight_grad_, bias_grad_;
  Tensor effective_;                 // W_eff (dense path, effective_weight())
  Tensor grad_effective_, grad_latent_;  // scratch for the constrained dense backward
  Tensor input_;                     // cached forward input, [batch, in]
  KernelChoice kernels_ = KernelChoice::Auto;
  // Packed path.
  std::unique_ptr<BlockSparse> blocks_;  // layout and values of W_eff's kept blocks, the products
  uint64_t blocks_mask_version_ = 0;
  Tensor kept_w_, kept_g_;           // compact latent weights of the kept blocks and their gradient
  bool compact_live_ = false;        // kept_w_ (not weight_) holds the current kept weights
  Tensor eff_blocks_;                // W_eff of the kept blocks, compact
  Tensor grad_blocks_;               // dW_eff of the kept blocks, compact
};

}  // namespace bitblock
