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
//    optimizer and checkpoints see; the constraint quantizes it in place (apply_blocks, bit for
//    bit what apply gives), and the products touch kept weights only:
//      block:  the block-sparse kernels (kernels::bsgemm_*) on a plan of the kept blocks;
//      row:    the kept rows are a dense [kept rows, cols] matrix (OpenBLAS); outputs are
//              scattered into the kept output columns (dropped outputs 0, as W_eff's zero rows
//              give), the output gradient gathered from them;
//      column: the kept columns are W^T as a dense [kept cols, rows] matrix (OpenBLAS) applied
//              to the gathered kept input columns; the input gradient is scattered back (0 at
//              dropped inputs);
//      element: the kept weights in CSR order, the CSR kernels (kernels::csr_*).
//    Dropped weights never change; weight() copies the kept ones back into the dense W.
// KernelChoice::Auto takes the compact path for block, row and column structure with random
// selection and ratio >= 2, and for element structure from ratio 4 (at ratio 2 the CSR products
// are slower than dense SGEMM, bench/cpu_csr_bench.cpp); Packed takes it at any ratio; Dense
// never. Magnitude pruning (its mask moves every epoch) always trains dense. Both paths compute
// the same W_eff and the same gradients of the kept weights, up to float summation order.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "bitblock/kernels/csr.hpp"

namespace bitblock {

enum class KernelChoice { Auto, Dense, Packed };
const char* to_string(KernelChoice k);
KernelChoice parse_kernel_choice(const std::string& s, const std::string& where);  // InputError

// What a compact path keeps: None means the dense path.
enum class KeptUnit { None, Block, Row, Column, Element };
const char* to_string(KeptUnit u);

class WeightMatrix {
 public:
  // `shape` is the latent tensor's shape ([out, in], [out, C, k, k]) with rows * cols elements;
  // the constraint, when given, is sized [rows, cols].
  WeightMatrix(const Shape& shape, int64_t rows, int64_t cols, std::unique_ptr<WeightConstraint> constraint);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  WeightConstraint* constraint() const { return constraint_.get(); }
  void set_kernels(KernelChoice choice) { kernels_ = choice; }
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
  // Y[M, rows] = X[M, cols] W_eff^T with the W_eff of the last prepare() (Y overwritten; rows of
  // X and Y contiguous).
  void forward(const float* X, int64_t M, float* Y);
  // For X of a forward on the same W_eff and dY[M, rows]: the weight gradient accumulated into
  // the weight gradient (the kept weights' only, on the compact path); dX[M, cols] = dY W_eff
  // written when not null.
  void backward(const float* dY, int64_t M, const float* X, float* dX);

  // Dense path pieces for layers that run their own products (Conv2d's per-sample GEMMs):
  // W_eff [rows, cols] now (W itself without a constraint), and, for a constrained matrix, the
  // straight-through backward of dW_eff accumulated into the weight gradient.
  const float* effective();
  void add_effective_grad(const float* grad_effective);

 private:
  // Compact path: the kept units' layout for the current mask, and the compact latent weights
  // gathered from weight_ when they are not the live copy.
  void ensure_compact();
  void compact_prepare();
  void compact_forward(const float* X, int64_t M, float* Y);
  void compact_backward(const float* dY, int64_t M, const float* X, float* dX);

  int64_t rows_, cols_;
  std::unique_ptr<WeightConstraint> constraint_;
  KernelChoice kernels_ = KernelChoice::Auto;
  Tensor weight_, weight_grad_;     // dense latent weights and gradient, the layer's shape
  Tensor effective_;                // dense W_eff of the last effective()
  Tensor grad_effective_, grad_latent_;  // scratch for the constrained dense backward

  // Compact path.
  KeptUnit layout_unit_ = KeptUnit::None;  // the unit layout_ was built for
  uint64_t layout_mask_version_ = 0;
  kernels::BsrLayout layout_;       // kept units as blocks
  std::vector<int32_t> kept_index_; // row: kept rows; column: kept columns (increasing)
  kernels::BsrPlan plan_;           // block: layout and W_eff values of the kept blocks
  kernels::CsrPlan csr_;            // element: CSR and column view of the kept weights
  Tensor kept_w_, kept_g_;          // compact latent weights and their gradient
  bool compact_live_ = false;       // kept_w_ (not weight_) holds the current kept weights
  std::vector<float> eff_units_;    // W_eff of the kept units, compact
  std::vector<float> grad_units_;   // dW_eff of the kept units, compact
  std::vector<float> gathered_;     // column: kept input columns of X; row: kept columns of dY
  std::vector<float> narrow_;       // row: outputs of the kept rows; column: dX of the kept columns
};

}  // namespace bitblock
