#pragma once
// The weight part of a weight layer, written once for Linear and Conv2d (each holds one and hands
// it out as Layer::weights()): latent float weights W viewed as a matrix [rows = outputs,
// cols = fan-in], the bias (one per output), the constraint on W, the parameters the optimizer and
// checkpoints see, He initialisation, the summary line's tail, device moves, and the path a
// training step's products take. The layer keeps only its geometry: how its inputs become rows of
// fan-in values (Conv2d: im2col or patch rows) and where the bias adds in.
//  * Dense (masked): W_eff = constraint->apply(W) over the whole matrix every forward (W itself
//    without a constraint), OpenBLAS GEMMs on it, the straight-through gradient and the optimizer
//    over every weight. The baseline.
//  * Kept: the kept units of a fixed (random) mask, laid out as the blocks of unit_block_shape
//    (block R x C, row 1 x cols, column rows x 1, element 1 x 1) in kernels::BsrLayout order.
//    Their latent weights, gradients and optimizer state live in one kept tensor
//    [kept units, block_rows, block_cols], which is the "weight" parameter the optimizer and
//    checkpoints see; the constraint quantizes it (apply_blocks, bit for bit what apply gives),
//    and the products touch kept weights only: KeptWeights (kept_weights.hpp), made by the ops for
//    the weights' device, says how (on the CPU: block-sparse kernels for blocks, OpenBLAS on the
//    kept rows or columns, CSR kernels for elements; on a GPU: the fastest verified implementation
//    per product and shape). Dropped weights never change; weight() copies the kept ones back
//    into the dense W.
// KernelChoice::Auto takes the kept path for block, row and column structure with random
// selection and ratio >= 2, and for element structure from ratio 4 (at ratio 2 the CSR products
// are slower than dense SGEMM, bench/cpu_csr_bench.cpp); Kept takes it at any ratio; Dense
// never. Magnitude pruning (its mask moves every epoch) always trains dense. Both paths compute
// the same W_eff and the same gradients of the kept weights, up to float summation order.
// Everything runs through the ops (ops.hpp) on the weights' device.
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/framework/binary_weights.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/kept_weights.hpp"
#include "bitblock/framework/layer.hpp"

namespace bitblock {

// train.kernels: which path the weight layers' products take. "packed" is the old name of "kept"
// and still parses (printed as "kept").
enum class KernelChoice { Auto, Dense, Kept };
inline constexpr EnumName<KernelChoice> kKernelChoiceNames[] = {{KernelChoice::Auto, "auto"},
                                                              {KernelChoice::Dense, "dense"},
                                                              {KernelChoice::Kept, "kept"},
                                                              {KernelChoice::Kept, "packed"}};
inline const char* to_string(KernelChoice k) { return name_of(kKernelChoiceNames, k); }

// Which part of a batch a WeightMatrix::backward call holds. A layer that splits its batch into
// groups of samples (Conv2d's patch rows) passes each group's place in order: on the kept path
// the weight gradient's sums then run across the groups where the device's kernels can continue
// them (CPU blocks), so the bits do not depend on the group size, and the straight-through
// gradient is applied once, after the last group.
struct BatchPart {
  bool first, last;
};

class WeightMatrix {
 public:
  // `shape` is the latent tensor's shape ([out, in], [out, C, k, k]) with rows * cols elements;
  // the constraint, when given, must be sized [rows, cols] (else InputError naming `layer`).
  // Weights and bias start at zero: call init().
  WeightMatrix(const std::string& layer, const Shape& shape, int64_t rows, int64_t cols, bool bias,
               std::unique_ptr<WeightConstraint> constraint);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  WeightConstraint* constraint() const { return constraint_.get(); }

  // He/Kaiming uniform with fan_in = cols: W ~ U(-sqrt(6 / cols), sqrt(6 / cols)) drawn in W's
  // element order, bias 0.
  void init(Rng& rng);
  // "weight" (the dense W, or the kept tensor on the kept path), then "bias" when there is one.
  std::vector<Param> params();
  // The tail of the layer's summary line: " (no bias)" and the constraint's bits, structure, ratio.
  std::string describe() const;
  // Multiply-accumulates per output position (a sample of Linear, a pixel of Conv2d): the kept
  // weights.
  int64_t macs_per_position() const;
  // Constraint hooks: before an epoch's first batch (mask drawing / magnitude pruning, which reads
  // the dense W) and after each optimizer step (binary weights clipped into the straight-through
  // window).
  void begin_epoch(int epoch);
  void after_optimizer_step();

  // Latent weights in the layer's shape. On the kept path the kept units are copied back from
  // the kept tensor first; what is written here reaches the kept tensor at the next forward.
  Tensor& weight();
  // Weight gradient in the layer's shape; on the kept path a copy of the kept weights' gradients
  // (0 elsewhere).
  Tensor& weight_grad();
  // The weights forward uses, computed now from the latent weights (a copy of W without a constraint).
  Tensor effective_weight();
  bool has_bias() const { return has_bias_; }
  Tensor& bias() { return bias_; }  // [rows]; empty without bias
  const Tensor& bias() const { return bias_; }
  Tensor& bias_grad() { return bias_grad_; }

  void set_kernels(KernelChoice choice) { kernels_ = choice; }
  // The path a step takes now (None: dense), from the kernel choice and the constraint.
  KeptUnit kept_unit() const;
  bool kept_path() const { return kept_unit() != KeptUnit::None; }
  // Kept path: which implementation runs each product, for the run log (empty on the dense path).
  std::string kept_kernels() const { return kept_ ? kept_->kernels() : std::string(); }
  // The layer's inputs are sign activations (+-1, or 0 from zero padding): a 1-bit W_eff then
  // multiplies them on the binary GEMM (binary_weights.hpp) where the device has one for the
  // path's layout (not for element structure).
  void set_sign_input(bool on) { sign_input_ = on; }
  // Whether the last prepare() put this step's forward on the binary GEMM.
  bool sign_product() const { return binary_live_; }

  // W_eff for the products of a forward pass and its backward, from the latent weights: once per
  // forward pass (a layer that splits its batch into groups runs them all on one W_eff).
  void prepare();
  // y [M, rows] = x W_eff^T for x [M, ...] with cols values per sample, with the W_eff of the last
  // prepare() (y overwritten). The bias is the layer's to add (it knows y's layout).
  void forward(const Tensor& x, Tensor& y);
  // For x of a forward on the same W_eff and dy [M, rows]: the weight gradient accumulated into
  // the weight gradient (the kept weights' only, on the kept path); dx = dy W_eff written when
  // not null.
  void backward(const Tensor& dy, const Tensor& x, Tensor* dx, BatchPart part = BatchPart{true, true});

  // Dense path pieces for layers that run their own products (Conv2d's grouped im2col GEMMs):
  // the dense W_eff of the last prepare() (W itself without a constraint), and, for a constrained
  // matrix, the straight-through backward of dW_eff accumulated into the weight gradient.
  const Tensor& prepared() { return constraint_ ? effective_ : weight(); }
  void add_effective_grad(const Tensor& grad_effective);

  // The weights, the bias and their state into an execution context (before the optimizer is made).
  void to(const ExecContextPtr& ctx);
  Device device() const { return ctx_->device(); }

 private:
  Param weight_param();  // the dense W, or the kept tensor on the kept path
  // W_eff [rows, cols] now (W itself without a constraint).
  const Tensor& effective();
  // Kept path: the kept units' layout for the current mask, and the kept latent weights gathered
  // from weight_ when they are not the live copy.
  void ensure_kept();
  // After W_eff: the binary GEMM's signs and scales for this step, when it runs.
  void prepare_binary();

  int64_t rows_, cols_;
  std::unique_ptr<WeightConstraint> constraint_;
  KernelChoice kernels_ = KernelChoice::Auto;
  ExecContextPtr ctx_ = host_context();
  Tensor weight_, weight_grad_;     // dense latent weights and gradient, the layer's shape
  bool has_bias_;
  Tensor bias_, bias_grad_;         // [rows]; empty without bias
  Tensor effective_;                // dense W_eff of the last effective()
  Tensor grad_effective_, grad_latent_;  // scratch for the constrained dense backward

  // Kept path.
  uint64_t layout_mask_version_ = 0;
  std::unique_ptr<KeptWeights> kept_;  // kept units' layout, values and products
  Tensor kept_w_, kept_g_;          // kept latent weights and their gradient
  bool kept_live_ = false;          // kept_w_ (not weight_) holds the current kept weights
  Tensor eff_units_;                // W_eff of the kept units
  Tensor grad_units_;               // dW_eff of the kept units
  // Binary GEMM (sign inputs x 1-bit W_eff): its weights for the layout of (path, mask version,
  // context) in binary_key_ (null where the device has none), and whether this step uses them.
  bool sign_input_ = false;
  std::unique_ptr<BinaryWeights> binary_;
  std::tuple<KeptUnit, uint64_t, const ExecContext*> binary_key_{KeptUnit::None, ~uint64_t{0}, nullptr};
  bool binary_live_ = false;
};

}  // namespace bitblock
