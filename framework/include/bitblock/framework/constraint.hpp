#pragma once
// Joint constraints on one weight matrix (rows = output units/channels, cols = fan-in):
// W_eff = Q_k(M (.) W) in the forward pass; straight-through gradients in the backward pass.
// Works on row-major weight tensors so Linear and Conv2d (weights viewed as
// [out_channels, in_channels*kh*kw]) share it. The policy (mask drawing, pruning schedule, memory
// accounting) runs on the host; the per-step arithmetic is kernels/constraint.hpp's, run by the
// ops on the weights' device.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/framework/array.hpp"
#include "bitblock/framework/kept_weights.hpp"
#include "bitblock/framework/ops.hpp"
#include "bitblock/framework/tensor.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/model/memory.hpp"

namespace bitblock {

// The model file's enum: a trained structure is the exported one (to_string and
// model::parse_sparsity spell it).
using Structure = model::Sparsity;
enum class Selection { Random, Magnitude };
enum class ScaleMode { PerLayer, PerRow };

// The config's spellings of `selection` and `scale`.
inline constexpr EnumName<Selection> kSelectionNames[] = {{Selection::Random, "random"},
                                                          {Selection::Magnitude, "magnitude"}};
inline constexpr EnumName<ScaleMode> kScaleModeNames[] = {{ScaleMode::PerLayer, "per_layer"},
                                                          {ScaleMode::PerRow, "per_row"}};

struct ConstraintSpec {
  int weight_bits = 32;                 // 1 (sign x scale), 2..8 (uniform symmetric), 32 (float)
  ScaleMode scale = ScaleMode::PerRow;
  Structure structure = Structure::None;
  int block_rows = 1;                   // block size for Structure::Block
  int block_cols = 1;
  double ratio = 1.0;                   // compression ratio: kept fraction = 1 / ratio
  Selection selection = Selection::Random;
  int prune_start_epoch = 0;            // magnitude: cubic ramp from start to end epoch
  int prune_end_epoch = 0;
  float clip = 1.0f;                    // binary: latent clip and STE window
};

inline const char* to_string(Selection s) { return name_of(kSelectionNames, s); }
inline const char* to_string(ScaleMode s) { return name_of(kScaleModeNames, s); }
Selection parse_selection(const std::string& s, const std::string& where);  // InputError naming where
ScaleMode parse_scale_mode(const std::string& s, const std::string& where);

// Throws InputError "<where>.<key>: <problem>" (e.g. "constraints.default.weight_bits: ...";
// key is the config's: weight_bits, ratio, block, prune or clip) for impossible settings: bits 0 or 9..31, ratio < 1, block larger than the matrix, ratio
// larger than the number of units that can be dropped, ...
void validate_constraint(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::string& where);

// The BSR block (kernels/bsr.hpp) that holds one sparsity unit: block R x C, row 1 x cols,
// column rows x 1, element 1 x 1; none: 8 x 8 tiles (at most the matrix), as the model file
// stores dense layers. The kept units of a mask are the kept blocks of this shape, which is how
// the model file and the kept-weights training path lay them out.
std::pair<int, int> unit_block_shape(const ConstraintSpec& spec, int64_t rows, int64_t cols);

// A mask read back from a checkpoint must be one the constraint can make: rows*cols entries of
// 0 or 1, whole units (elements, rows, columns or blocks) kept or dropped, the same number of
// units kept in every group for random selection, and for magnitude pruning at least the units
// the schedule ends with (it never drops more). InputError "<where>: <problem>" otherwise.
void validate_mask(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask,
                   const std::string& where);

// Weight memory of one constrained matrix, in bits (see docs/constraints.md "Memory accounting"):
// the model module's counts (kept_values, value_bits, index_bits, scale_bits, total_bits()) and
// the matrix they were counted on.
struct MemoryCost : model::StageMemory {
  int64_t rows = 0, cols = 0;
  int weight_bits = 32;
  int64_t dense_float_bits() const { return rows * cols * 32; }
  double kept_fraction() const { return rows > 0 && cols > 0 ? double(kept_values) / double(rows * cols) : 0.0; }
};

class WeightConstraint {
 public:
  WeightConstraint(const ConstraintSpec& spec, int64_t rows, int64_t cols, uint64_t seed);

  const ConstraintSpec& spec() const { return spec_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

  // Epoch hook, called by the trainer before each epoch's first batch: magnitude pruning moves
  // the mask to the cubic target, from the latent weights on the host (host policy). Random
  // selection draws its fixed mask from the seed when the constraint is made (a layer can lay out
  // its kept blocks before training starts) and needs no weights here (host_latent may be null).
  void begin_epoch(int epoch, const float* host_latent);
  // Kept fraction the schedule asks for at an epoch (1/ratio for random selection).
  double target_kept_fraction(int epoch) const;

  // The per-step work, on the latent weights' device (ops.hpp; the mask is mirrored there when it
  // changes). latent and effective hold rows x cols values.
  // effective = Q(mask (.) latent); records the scales used.
  void apply(const Tensor& latent, Tensor& effective);
  // grad_latent = grad_effective (.) mask (.) STE window (|latent| <= clip for binary).
  void backward(const Tensor& latent, const Tensor& grad_effective, Tensor& grad_latent);
  // After an optimizer step: clip latent weights (binary) so they stay inside the STE window.
  // Any number of weights in any order (the dense matrix or the kept blocks).
  void after_step(Tensor& latent) const;

  // The kept path's forward and backward on the kept blocks only, stored as one kept tensor in the
  // order of `layout` (made from this constraint's mask, whole blocks kept): element (r, c) of
  // kept block b at (b * block_rows + r) * block_cols + c, ragged-edge positions unused.
  // apply_blocks writes what apply writes at those positions, bit for bit (same scales; ragged
  // positions 0). backward_blocks adds the straight-through gradient of the kept weights to
  // grad_latent (kept weights: the mask is 1 there).
  void apply_blocks(const KeptWeights& layout, const Tensor& latent, Tensor& effective);
  void backward_blocks(const Tensor& latent, const Tensor& grad_effective, Tensor& grad_latent) const;

  // Integer codes of the effective weights of host latent weights (0 where masked):
  // w_eff = code * scale(row). Binary: codes +-1; k bits: -(2^(k-1)-1)..2^(k-1)-1. Only for
  // weight_bits <= 8.
  std::vector<int8_t> codes(const Tensor& latent) const;
  float scale_of_row(int64_t row) const;   // scales of the last apply()
  // The scales of the last apply / apply_blocks where the step ran (1 or rows values; empty for
  // float weights or before the first step).
  const Tensor& step_scales() const { return scales_; }
  std::vector<float> scales() const;       // 1 (per layer) or rows values, of the last apply()

  const std::vector<uint8_t>& mask() const { return mask_.host(); }  // rows*cols, 1 = kept
  void set_mask(const std::vector<uint8_t>& mask);                    // checkpoint restore
  int64_t kept() const;
  // Changes whenever the mask may have changed (drawn, pruned, restored): the kept path
  // rebuilds its block layout when it moves.
  uint64_t mask_version() const { return mask_version_; }
  MemoryCost memory() const;

 private:
  // The mask and the per-step scratch in the step's execution context (allocated on first use
  // there).
  const Array<uint8_t>& mask_on(const ExecContextPtr& ctx);
  void prepare(const ExecContextPtr& ctx);
  float clip_window() const;

  ConstraintSpec spec_;
  int64_t rows_, cols_;
  uint64_t seed_;
  uint64_t mask_version_ = 0;
  Array<uint8_t> mask_;                // host: the policy's mask
  Array<uint8_t> device_mask_;         // its mirror on a device
  uint64_t device_mask_version_ = 0;   // mask_version_ + 1 when device_mask_ is current
  Tensor scales_;                      // of the last apply, where it ran
  ops::ConstraintScratch scratch_;     // per-row statistics
};

}  // namespace bitblock
