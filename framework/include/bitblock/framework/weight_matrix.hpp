#pragma once
// The weight part of a weight layer (Linear, Conv2d): latent float weights W viewed as a matrix
// [rows = outputs, cols = fan-in], the constraint on them, and the path a training step takes.
//  * Dense (masked): W_eff = constraint->apply(W) over the whole matrix every forward (W itself
//    without a constraint), OpenBLAS GEMMs on it, the straight-through gradient and the optimizer
//    over every weight. The baseline.
//  * Compact: the kept units of a fixed (random) mask, laid out as the blocks of
//    unit_block_shape (block R x C, row 1 x cols, column rows x 1, element 1 x 1) in
//    kernels::BsrLayout order. Their latent weights, gradients and optimizer state live in one
//    compact tensor [kept units, block_rows, block_cols], which is the "weight" parameter the
//    optimizer and checkpoints see; the constraint quantizes it (apply_blocks, bit for bit what
//    apply gives), and the products touch kept weights only: KeptWeights (kept_weights.hpp), made
//    by the ops for the weights' device, says how (on the CPU: block-sparse kernels for blocks,
//    OpenBLAS on the kept rows or columns, CSR kernels for elements; on a GPU: the fastest
//    verified implementation per product and shape).
//    Dropped weights never change; weight() copies the kept ones back into the dense W.
// KernelChoice::Auto takes the compact path for block, row and column structure with random
// selection and ratio >= 2, and for element structure from ratio 4 (at ratio 2 the CSR products
// are slower than dense SGEMM, bench/cpu_csr_bench.cpp); Packed takes it at any ratio; Dense
// never. Magnitude pruning (its mask moves every epoch) always trains dense. Both paths compute the same
// W_eff and the same gradients of the kept weights, up to float summation order. Everything runs
// through the ops (ops.hpp) on the weights' device.
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

enum class KernelChoice { Auto, Dense, Packed };
// The config's train.kernels spellings.
inline constexpr EnumName<KernelChoice> kKernelChoiceNames[] = {
    {KernelChoice::Auto, "auto"}, {KernelChoice::Dense, "dense"}, {KernelChoice::Packed, "packed"}};
inline const char* to_string(KernelChoice k) { return name_of(kKernelChoiceNames, k); }

class WeightMatrix {
 public:
  // `shape` is the latent tensor's shape ([out, in], [out, C, k, k]) with rows * cols elements;
  // the constraint, when given, is sized [rows, cols].
  WeightMatrix(const Shape& shape, int64_t rows, int64_t cols, std::unique_ptr<WeightConstraint> constraint);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  WeightConstraint* constraint() const { return constraint_.get(); }
  void set_kernels(KernelChoice choice) { kernels_ = choice; }
  // The layer's inputs are sign activations (+-1, or 0 from zero padding): a 1-bit W_eff then
  // multiplies them on the binary GEMM (binary_weights.hpp) where the device has one for the
  // path's layout (not for element structure).
  void set_sign_input(bool on) { sign_input_ = on; }
  // Whether the last prepare() put this step's forward on the binary GEMM.
  bool sign_product() const { return binary_live_; }
  // The path a step takes now (None: dense), from the kernel choice and the constraint.
  KeptUnit unit() const;

  // Latent weights in the layer's shape. On the compact path the kept units are copied back from
  // the compact tensor first; what is written here reaches the compact tensor at the next forward.
  Tensor& weight();
  // Weight gradient in the layer's shape; on the compact path a copy of the kept weights'
  // gradients (0 elsewhere).
  Tensor& weight_grad();
  // The weights forward uses, computed now from the latent weights.
  Tensor effective_weight();
  Param param();                 // "weight": the dense W or the compact tensor
  void begin_epoch(int epoch);   // constraint hook (magnitude pruning reads the dense W)
  void after_optimizer_step();   // binary weights clipped into the straight-through window

  // W_eff for the products of a forward pass and its backward, from the latent weights: once per
  // forward pass (a layer that splits its batch into groups runs them all on one W_eff).
  void prepare();
  // y [M, rows] = x W_eff^T for x [M, ...] with cols values per sample, with the W_eff of the last
  // prepare() (y overwritten).
  void forward(const Tensor& x, Tensor& y);
  // For x of a forward on the same W_eff and dy [M, rows]: the weight gradient accumulated into
  // the weight gradient (the kept weights' only, on the compact path); dx = dy W_eff written when
  // not null.
  void backward(const Tensor& dy, const Tensor& x, Tensor* dx);

  // Dense path pieces for layers that run their own products (Conv2d's grouped im2col GEMMs):
  // W_eff [rows, cols] now (W itself without a constraint), and, for a constrained matrix, the
  // straight-through backward of dW_eff accumulated into the weight gradient.
  const Tensor& effective();
  // The dense W_eff of the last prepare() (W itself without a constraint).
  const Tensor& prepared() { return constraint_ ? effective_ : weight(); }
  void add_effective_grad(const Tensor& grad_effective);

  // The weights and their state onto a device (before the optimizer is made).
  void to(Device device);
  Device device() const { return device_; }
  // Compact path: which implementation runs each product.
  std::string compact_kernels() const { return compact_ ? compact_->kernels() : std::string(); }

 private:
  // Compact path: the kept units' layout for the current mask, and the compact latent weights
  // gathered from weight_ when they are not the live copy.
  void ensure_compact();
  // After W_eff: the binary GEMM's signs and scales for this step, when it runs.
  void prepare_binary();

  int64_t rows_, cols_;
  std::unique_ptr<WeightConstraint> constraint_;
  KernelChoice kernels_ = KernelChoice::Auto;
  Device device_ = Device::Cpu;
  Tensor weight_, weight_grad_;     // dense latent weights and gradient, the layer's shape
  Tensor effective_;                // dense W_eff of the last effective()
  Tensor grad_effective_, grad_latent_;  // scratch for the constrained dense backward

  // Compact path.
  uint64_t layout_mask_version_ = 0;
  std::unique_ptr<KeptWeights> compact_;  // kept units' layout, values and products
  Tensor kept_w_, kept_g_;          // compact latent weights and their gradient
  bool compact_live_ = false;       // kept_w_ (not weight_) holds the current kept weights
  Tensor eff_units_;                // W_eff of the kept units, compact
  Tensor grad_units_;               // dW_eff of the kept units, compact
  // Binary GEMM (sign inputs x 1-bit W_eff): its weights for the layout of (path, mask version,
  // device) in binary_key_ (null where the device has none), and whether this step uses them.
  bool sign_input_ = false;
  std::unique_ptr<BinaryWeights> binary_;
  std::tuple<KeptUnit, uint64_t, Device> binary_key_{KeptUnit::None, ~uint64_t{0}, Device::Cpu};
  bool binary_live_ = false;
};

}  // namespace bitblock
