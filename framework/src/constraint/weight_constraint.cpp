// WeightConstraint: W_eff = Q_k(M (.) W) forward, straight-through gradients backward. The host
// keeps the policy (mask, schedule, memory); each step runs kernels/constraint.hpp through the ops.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "bitblock/common/error.hpp"
#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/kbit.hpp"
#include "constraint/mask.hpp"
#include "constraint/memory.hpp"
#include "constraint/units.hpp"

namespace bitblock {

WeightConstraint::WeightConstraint(const ConstraintSpec& spec, int64_t rows, int64_t cols, uint64_t seed)
    : spec_(spec), rows_(rows), cols_(cols), seed_(seed) {
  validate_constraint(spec, rows, cols, "constraint");
  mask_ = Array<uint8_t>(std::vector<uint8_t>(static_cast<size_t>(rows * cols), 1));
  if (spec.structure != Structure::None && spec.selection == Selection::Random) {
    Rng rng(seed_);
    detail::draw_random_mask(spec_, rows_, cols_, rng, mask_.host());
    ++mask_version_;
  }
}

double WeightConstraint::target_kept_fraction(int epoch) const {
  if (spec_.structure == Structure::None) return 1.0;
  if (spec_.selection == Selection::Random) return 1.0 / spec_.ratio;
  return detail::cubic_kept_fraction(spec_, epoch);
}

void WeightConstraint::begin_epoch(int epoch, const float* host_latent) {
  if (spec_.structure == Structure::None || spec_.selection == Selection::Random) return;
  if (!host_latent) throw std::invalid_argument("WeightConstraint::begin_epoch: magnitude pruning needs the weights");
  detail::prune_by_magnitude(spec_, rows_, cols_, host_latent,
                             detail::magnitude_target_units(spec_, rows_, cols_, epoch), mask_.host());
  ++mask_version_;
}

const Array<uint8_t>& WeightConstraint::mask_on(const ExecContextPtr& ctx) {
  if (ctx->device() == Device::Cpu) return mask_;
  if (device_mask_version_ != mask_version_ + 1 || device_mask_.context() != ctx) {
    device_mask_ = mask_.to(ctx);
    device_mask_version_ = mask_version_ + 1;
  }
  return device_mask_;
}

void WeightConstraint::prepare(const ExecContextPtr& ctx) {
  const int64_t nscales = spec_.scale == ScaleMode::PerRow ? rows_ : 1;
  if (scales_.numel() == nscales && compatible(*scales_.context(), *ctx)) return;
  scales_ = Tensor({nscales}, ctx);
  scratch_.stat = Array<double>(rows_, ctx);
  scratch_.count = Array<int64_t>(rows_, ctx);
}

// Only binary clamps latent weights, so only binary has a window; k-bit scales follow max|w| and
// never saturate, so the straight-through estimate holds everywhere. An infinite clip keeps one
// branch-free loop for every quantizer.
float WeightConstraint::clip_window() const {
  return spec_.weight_bits == 1 ? spec_.clip : std::numeric_limits<float>::infinity();
}

void WeightConstraint::apply(const Tensor& latent, Tensor& effective) {
  prepare(latent.context());
  ops::weight_quantize(spec_.weight_bits, spec_.scale == ScaleMode::PerRow, latent, mask_on(latent.context()), rows_,
                       cols_, scratch_, scales_, effective);
}

void WeightConstraint::apply_blocks(const KeptWeights& layout, const Tensor& latent, Tensor& effective) {
  prepare(latent.context());
  ops::weight_quantize_blocks(spec_.weight_bits, spec_.scale == ScaleMode::PerRow, layout, latent, scratch_, scales_,
                              effective);
}

void WeightConstraint::backward(const Tensor& latent, const Tensor& grad_effective, Tensor& grad_latent) {
  ops::weight_backward(clip_window(), latent, grad_effective, mask_on(latent.context()), grad_latent);
}

void WeightConstraint::backward_blocks(const Tensor& latent, const Tensor& grad_effective, Tensor& grad_latent) const {
  ops::weight_backward_blocks(clip_window(), latent, grad_effective, grad_latent);
}

void WeightConstraint::after_step(Tensor& latent) const {
  if (spec_.weight_bits == 1) ops::weight_clip(spec_.clip, latent);
}

std::vector<int8_t> WeightConstraint::codes(const Tensor& latent) const {
  const int bits = spec_.weight_bits;
  if (bits > 8) throw std::logic_error("WeightConstraint::codes: float weights have no integer codes");
  const bool per_row = spec_.scale == ScaleMode::PerRow;
  const float* w = latent.values().data();  // host weights (export)
  const std::vector<uint8_t>& mask = mask_.host();
  std::vector<double> stat(static_cast<size_t>(rows_));
  std::vector<int64_t> count(static_cast<size_t>(rows_));
  std::vector<float> scales(per_row ? static_cast<size_t>(rows_) : 1);
  kernels::weight_row_statistics(w, mask.data(), rows_, cols_, bits, stat.data(), count.data());
  kernels::weight_scales(bits, per_row, rows_, stat.data(), count.data(), scales.data());
  std::vector<int8_t> out(static_cast<size_t>(rows_ * cols_), 0);
  for (int64_t r = 0; r < rows_; ++r) {
    const float s = scales[per_row ? static_cast<size_t>(r) : 0];
    for (int64_t i = r * cols_; i < (r + 1) * cols_; ++i)
      if (mask[static_cast<size_t>(i)]) out[static_cast<size_t>(i)] = static_cast<int8_t>(kernels::quantize_code(w[i], s, bits));
  }
  return out;
}

std::vector<float> WeightConstraint::scales() const {
  if (spec_.weight_bits == 32) return {};
  if (scales_.empty()) return std::vector<float>(spec_.scale == ScaleMode::PerRow ? static_cast<size_t>(rows_) : 1, 0.0f);
  return scales_.device() == Device::Cpu ? scales_.values() : scales_.to(host_context()).values();
}

float WeightConstraint::scale_of_row(int64_t row) const {
  if (spec_.weight_bits == 32) return 1.0f;
  const std::vector<float> s = scales();
  return s[spec_.scale == ScaleMode::PerRow ? static_cast<size_t>(row) : 0];
}

void WeightConstraint::set_mask(const std::vector<uint8_t>& mask) {
  if (static_cast<int64_t>(mask.size()) != rows_ * cols_)
    fail_input("constraint mask", std::to_string(mask.size()) + " entries for a " + std::to_string(rows_) + "x" +
                                      std::to_string(cols_) + " weight matrix");
  if (std::any_of(mask.begin(), mask.end(), [](uint8_t v) { return v > 1; }))
    fail_input("constraint mask", "entries must be 0 or 1");
  mask_.host() = mask;
  ++mask_version_;
}

int64_t WeightConstraint::kept() const {
  return std::count(mask_.host().begin(), mask_.host().end(), uint8_t{1});
}

MemoryCost WeightConstraint::memory() const { return detail::memory_cost(spec_, rows_, cols_, mask_.host()); }

}  // namespace bitblock
