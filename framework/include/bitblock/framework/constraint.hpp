#pragma once
// Joint constraints on one weight matrix (rows = output units/channels, cols = fan-in):
// W_eff = Q_k(M (.) W) in the forward pass; straight-through gradients in the backward pass.
// Works on raw row-major float arrays so Linear and Conv2d (weights viewed as
// [out_channels, in_channels*kh*kw]) share it.
#include <cstdint>
#include <string>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock {

enum class Structure { None, Element, Row, Column, Block };
enum class Selection { Random, Magnitude };
enum class ScaleMode { PerLayer, PerRow };

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

const char* to_string(Structure s);
const char* to_string(Selection s);
const char* to_string(ScaleMode s);
Structure parse_structure(const std::string& s, const std::string& where);   // InputError
Selection parse_selection(const std::string& s, const std::string& where);
ScaleMode parse_scale_mode(const std::string& s, const std::string& where);

// Throws InputError "<where>.<key>: <problem>" (e.g. "constraints.default.weight_bits: ...";
// key is the config's: weight_bits, ratio, block, prune or clip) for impossible settings: bits 0 or 9..31, ratio < 1, block larger than the matrix, ratio
// larger than the number of units that can be dropped, ...
void validate_constraint(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::string& where);

// A mask read back from a checkpoint must be one the constraint can make: rows*cols entries of
// 0 or 1, whole units (elements, rows, columns or blocks) kept or dropped, the same number of
// units kept in every group for random selection, and for magnitude pruning at least the units
// the schedule ends with (it never drops more). InputError "<where>: <problem>" otherwise.
void validate_mask(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask,
                   const std::string& where);

// Weight memory of one constrained matrix, in bits (see README "Memory accounting").
struct MemoryCost {
  int64_t rows = 0, cols = 0;
  int weight_bits = 32;
  int64_t kept_values = 0;              // non-zero positions stored
  int64_t value_bits = 0;               // kept_values * weight_bits
  int64_t index_bits = 0;               // sparse index (per element / row / column / block)
  int64_t scale_bits = 0;               // 32 per scale
  int64_t total_bits() const { return value_bits + index_bits + scale_bits; }
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
  // the mask to the cubic target. Random selection draws its fixed mask from the seed when the
  // constraint is made (a layer can lay out its kept blocks before training starts).
  void begin_epoch(int epoch, const float* latent);
  // Kept fraction the schedule asks for at an epoch (1/ratio for random selection).
  double target_kept_fraction(int epoch) const;

  // effective = Q(mask (.) latent); records the scales used.
  void apply(const float* latent, float* effective);
  // grad_latent = grad_effective (.) mask (.) STE window (|latent| <= clip for binary).
  void backward(const float* latent, const float* grad_effective, float* grad_latent) const;
  // After an optimizer step: clip latent weights (binary) so they stay inside the STE window.
  void after_step(float* latent) const { after_step(latent, rows_ * cols_); }
  void after_step(float* latent, int64_t n) const;  // n weights in any order (kept blocks)

  // The packed path's forward and backward on the kept blocks only, stored compactly in the
  // order of `layout` (bsr_layout_from_mask of this constraint's mask, whole blocks kept):
  // element (r, c) of kept block b at (b * block_rows + r) * block_cols + c, ragged-edge
  // positions unused. apply_blocks writes what apply writes at those positions, bit for bit
  // (same scales; ragged positions 0). backward_blocks adds the straight-through gradient of n
  // compact weights to grad_latent (kept weights: the mask is 1 there).
  void apply_blocks(const kernels::BsrLayout& layout, const float* latent, float* effective);
  void backward_blocks(const float* latent, const float* grad_effective, float* grad_latent, int64_t n) const;

  // Integer codes of the current effective weights (0 where masked): w_eff = code * scale(row).
  // Binary: codes +-1; k bits: -(2^(k-1)-1)..2^(k-1)-1. Only for weight_bits <= 8.
  std::vector<int8_t> codes(const float* latent) const;
  float scale_of_row(int64_t row) const;   // scales of the last apply()
  const std::vector<float>& scales() const { return scales_; }  // 1 (per layer) or rows values

  const std::vector<uint8_t>& mask() const { return mask_; }    // rows*cols, 1 = kept
  void set_mask(const std::vector<uint8_t>& mask);               // checkpoint restore
  int64_t kept() const;
  // Changes whenever the mask may have changed (drawn, pruned, restored): packed kernels
  // rebuild their block layout when it moves.
  uint64_t mask_version() const { return mask_version_; }
  MemoryCost memory() const;

 private:
  ConstraintSpec spec_;
  int64_t rows_, cols_;
  uint64_t seed_;
  uint64_t mask_version_ = 0;
  std::vector<uint8_t> mask_;
  std::vector<float> scales_;
  std::vector<double> row_stat_;        // scratch: per-row sum or max of |kept w| (scales)
  std::vector<int64_t> row_count_;      // scratch: per-row kept count (binary mean)
};

}  // namespace bitblock
