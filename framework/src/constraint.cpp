// WeightConstraint: W_eff = Q_k(M (.) W) forward, straight-through gradients backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "bitblock/common/error.hpp"
#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"
#include "constraint_mask.hpp"
#include "constraint_memory.hpp"
#include "constraint_quantizer.hpp"
#include "constraint_units.hpp"

namespace bitblock {
namespace {
// Below this many weights a parallel region costs more than it saves.
constexpr int64_t kParallelWeights = 65536;
}  // namespace

WeightConstraint::WeightConstraint(const ConstraintSpec& spec, int64_t rows, int64_t cols, uint64_t seed)
    : spec_(spec), rows_(rows), cols_(cols), seed_(seed) {
  validate_constraint(spec, rows, cols, "constraint");
  mask_.assign(static_cast<size_t>(rows * cols), 1);
  if (spec.weight_bits != 32) scales_.assign(spec.scale == ScaleMode::PerRow ? static_cast<size_t>(rows) : 1, 0.0f);
  row_stat_.assign(static_cast<size_t>(rows), 0.0);
  row_count_.assign(static_cast<size_t>(rows), 0);
  if (spec.structure != Structure::None && spec.selection == Selection::Random) {
    Rng rng(seed_);
    detail::draw_random_mask(spec_, rows_, cols_, rng, mask_);
    ++mask_version_;
  }
}

double WeightConstraint::target_kept_fraction(int epoch) const {
  if (spec_.structure == Structure::None) return 1.0;
  if (spec_.selection == Selection::Random) return 1.0 / spec_.ratio;
  return detail::cubic_kept_fraction(spec_, epoch);
}

void WeightConstraint::begin_epoch(int epoch, const float* latent) {
  if (spec_.structure == Structure::None || spec_.selection == Selection::Random) return;
  if (!latent) throw std::invalid_argument("WeightConstraint::begin_epoch: magnitude pruning needs the weights");
  detail::prune_by_magnitude(spec_, rows_, cols_, latent,
                             detail::magnitude_target_units(spec_, rows_, cols_, epoch), mask_);
  ++mask_version_;
}

void WeightConstraint::apply(const float* latent, float* effective) {
  const int64_t rows = rows_, cols = cols_;
  const uint8_t* mask = mask_.data();
  const int bits = spec_.weight_bits;
  if (bits == 32) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelWeights)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = r * cols; i < (r + 1) * cols; ++i) {
        float w = latent[i];  // loaded unconditionally so the select vectorizes
        effective[i] = mask[i] ? w : 0.0f;
      }
    return;
  }
  detail::row_statistics(latent, mask, rows, cols, bits, row_stat_.data(), row_count_.data());
  detail::scales_from_statistics(bits, spec_.scale, rows, row_stat_.data(), row_count_.data(), scales_);
  const float* scales = scales_.data();
  const bool per_row = spec_.scale == ScaleMode::PerRow;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelWeights)
  for (int64_t r = 0; r < rows; ++r) {
    const float s = scales[per_row ? r : 0];
    const int64_t end = (r + 1) * cols;
    // Separate branch-free loops per quantizer so the compiler vectorizes them.
    if (bits == 1) {
      for (int64_t i = r * cols; i < end; ++i) {
        float v = latent[i] >= 0.0f ? s : -s;
        effective[i] = mask[i] ? v : 0.0f;
      }
    } else if (s == 0.0f) {
      std::fill(effective + r * cols, effective + end, 0.0f);
    } else {
      const int limit = kernels::kbit_limit(bits);
      for (int64_t i = r * cols; i < end; ++i) {
        // Multiplying by the 0/1 mask (not selecting) keeps the loop free of branches and
        // brings masked weights inside kbit_code's range: they get code 0.
        float w = latent[i] * static_cast<float>(mask[i]);
        effective[i] = static_cast<float>(kernels::kbit_code(w, s, limit)) * s;
      }
    }
  }
}

void WeightConstraint::backward_blocks(const float* latent, const float* grad_effective, float* grad_latent,
                                       int64_t n) const {
  const float clip = spec_.weight_bits == 1 ? spec_.clip : std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < n; ++i) grad_latent[i] += std::fabs(latent[i]) <= clip ? grad_effective[i] : 0.0f;
}

void WeightConstraint::backward(const float* latent, const float* grad_effective, float* grad_latent) const {
  const int64_t n = rows_ * cols_;
  const uint8_t* mask = mask_.data();
  // Only binary clamps latent weights, so only binary has a window; k-bit scales follow max|w|
  // and never saturate, so the straight-through estimate holds everywhere.
  // Infinite clip (no window) keeps one branch-free loop for every quantizer.
  const float clip = spec_.weight_bits == 1 ? spec_.clip : std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < n; ++i) {
    float g = grad_effective[i];
    bool pass = (mask[i] != 0) & (std::fabs(latent[i]) <= clip);
    grad_latent[i] = pass ? g : 0.0f;
  }
}

void WeightConstraint::after_step(float* latent, int64_t n) const {
  if (spec_.weight_bits != 1) return;
  const float clip = spec_.clip;
#pragma omp parallel for schedule(static) if (n >= kParallelWeights)
  for (int64_t i = 0; i < n; ++i) latent[i] = std::min(clip, std::max(-clip, latent[i]));
}

std::vector<int8_t> WeightConstraint::codes(const float* latent) const {
  const int bits = spec_.weight_bits;
  if (bits > 8) throw std::logic_error("WeightConstraint::codes: float weights have no integer codes");
  std::vector<double> stat(static_cast<size_t>(rows_));
  std::vector<int64_t> count(static_cast<size_t>(rows_));
  std::vector<float> scales(scales_.size());
  detail::row_statistics(latent, mask_.data(), rows_, cols_, bits, stat.data(), count.data());
  detail::scales_from_statistics(bits, spec_.scale, rows_, stat.data(), count.data(), scales);
  std::vector<int8_t> out(static_cast<size_t>(rows_ * cols_), 0);
  for (int64_t r = 0; r < rows_; ++r) {
    float s = scales[spec_.scale == ScaleMode::PerRow ? static_cast<size_t>(r) : 0];
    for (int64_t i = r * cols_; i < (r + 1) * cols_; ++i)
      if (mask_[static_cast<size_t>(i)]) out[static_cast<size_t>(i)] = static_cast<int8_t>(kernels::quantize_code(latent[i], s, bits));
  }
  return out;
}

float WeightConstraint::scale_of_row(int64_t row) const {
  if (spec_.weight_bits == 32) return 1.0f;
  return scales_[spec_.scale == ScaleMode::PerRow ? static_cast<size_t>(row) : 0];
}

void WeightConstraint::set_mask(const std::vector<uint8_t>& mask) {
  if (static_cast<int64_t>(mask.size()) != rows_ * cols_)
    fail_input("constraint mask", std::to_string(mask.size()) + " entries for a " + std::to_string(rows_) + "x" +
                                      std::to_string(cols_) + " weight matrix");
  if (std::any_of(mask.begin(), mask.end(), [](uint8_t v) { return v > 1; }))
    fail_input("constraint mask", "entries must be 0 or 1");
  mask_ = mask;
  ++mask_version_;
}

int64_t WeightConstraint::kept() const { return std::count(mask_.begin(), mask_.end(), uint8_t{1}); }

MemoryCost WeightConstraint::memory() const { return detail::memory_cost(spec_, rows_, cols_, mask_); }

}  // namespace bitblock
