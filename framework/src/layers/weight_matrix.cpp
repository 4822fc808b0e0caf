// WeightMatrix: storage, path choice and the dense (masked) path. The compact path's layout and
// products are in weight_matrix_compact.cpp.
#include "bitblock/framework/weight_matrix.hpp"

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"
#include "bitblock/kernels/bsgemm.hpp"

namespace bitblock {

const char* to_string(KernelChoice k) {
  switch (k) {
    case KernelChoice::Dense: return "dense";
    case KernelChoice::Packed: return "packed";
    default: return "auto";
  }
}

KernelChoice parse_kernel_choice(const std::string& s, const std::string& where) {
  if (s == "auto") return KernelChoice::Auto;
  if (s == "dense") return KernelChoice::Dense;
  if (s == "packed") return KernelChoice::Packed;
  fail_input(where, "'" + s + "' is not one of auto, dense, packed");
}

const char* to_string(KeptUnit u) {
  switch (u) {
    case KeptUnit::Block: return "block";
    case KeptUnit::Row: return "row";
    case KeptUnit::Column: return "column";
    case KeptUnit::Element: return "element";
    default: return "none";
  }
}

WeightMatrix::WeightMatrix(const Shape& shape, int64_t rows, int64_t cols, std::unique_ptr<WeightConstraint> constraint)
    : rows_(rows), cols_(cols), constraint_(std::move(constraint)), weight_(shape), weight_grad_(shape) {
  if (weight_.numel() != rows * cols) throw std::logic_error("WeightMatrix: shape does not hold rows x cols");
}

KeptUnit WeightMatrix::unit() const {
  if (!constraint_ || kernels_ == KernelChoice::Dense) return KeptUnit::None;
  const ConstraintSpec& spec = constraint_->spec();
  if (spec.selection != Selection::Random) return KeptUnit::None;
  const double auto_from = spec.structure == Structure::Element ? 4.0 : 2.0;
  if (kernels_ == KernelChoice::Auto && spec.ratio < auto_from) return KeptUnit::None;
  switch (spec.structure) {
    case Structure::Block: return KeptUnit::Block;
    case Structure::Row: return KeptUnit::Row;
    case Structure::Column: return KeptUnit::Column;
    case Structure::Element: return KeptUnit::Element;
    default: return KeptUnit::None;
  }
}

Tensor& WeightMatrix::weight() {
  if (compact_live_) {
    kernels::bsr_write_blocks(layout_, kept_w_.data(), weight_.data());
    compact_live_ = false;
  }
  return weight_;
}

Tensor& WeightMatrix::weight_grad() {
  if (unit() != KeptUnit::None && layout_unit_ == unit() &&
      kept_g_.numel() == layout_.kept_blocks() * layout_.block_elems())
    kernels::bsr_scatter_blocks(layout_, kept_g_.data(), weight_grad_.data());
  return weight_grad_;
}

const float* WeightMatrix::effective() {
  if (!constraint_) return weight().data();
  effective_.resize(weight_.shape());
  constraint_->apply(weight().data(), effective_.data());
  return effective_.data();
}

Tensor WeightMatrix::effective_weight() {
  weight();  // compact: current kept weights into weight_
  const float* w = effective();
  return Tensor(weight_.shape(), std::vector<float>(w, w + weight_.numel()));
}

Param WeightMatrix::param() {
  if (unit() == KeptUnit::None) return {"weight", &weight(), &weight_grad_, true};
  ensure_compact();
  return {"weight", &kept_w_, &kept_g_, true};
}

void WeightMatrix::begin_epoch(int epoch) {
  // The compact path has a random (fixed) mask, which needs no weights: its compact copy stays live.
  if (constraint_) constraint_->begin_epoch(epoch, unit() != KeptUnit::None ? nullptr : weight().data());
}

void WeightMatrix::after_optimizer_step() {
  if (!constraint_) return;
  if (compact_live_) {
    constraint_->after_step(kept_w_.data(), kept_w_.numel());
  } else {
    constraint_->after_step(weight_.data());
  }
}

void WeightMatrix::add_effective_grad(const float* grad_effective) {
  grad_latent_.resize(weight_.shape());
  constraint_->backward(weight_.data(), grad_effective, grad_latent_.data());
  ops::axpy(weight_grad_.numel(), 1.0f, grad_latent_.data(), weight_grad_.data());
}

void WeightMatrix::prepare() {
  if (unit() != KeptUnit::None) return compact_prepare();
  effective();
}

void WeightMatrix::forward(const float* X, int64_t M, float* Y) {
  if (unit() != KeptUnit::None) return compact_forward(X, M, Y);
  const float* w = constraint_ ? effective_.data() : weight().data();  // W_eff of prepare()
  ops::gemm(false, true, M, rows_, cols_, 1.0f, X, w, 0.0f, Y);
}

void WeightMatrix::backward(const float* dY, int64_t M, const float* X, float* dX) {
  if (unit() != KeptUnit::None) return compact_backward(dY, M, X, dX);
  if (constraint_) {
    grad_effective_.resize(weight_.shape());
    ops::gemm(true, false, rows_, cols_, M, 1.0f, dY, X, 0.0f, grad_effective_.data());
    add_effective_grad(grad_effective_.data());
  } else {
    ops::gemm(true, false, rows_, cols_, M, 1.0f, dY, X, 1.0f, weight_grad_.data());
  }
  if (!dX) return;
  const float* w = constraint_ ? effective_.data() : weight_.data();  // W_eff of prepare()
  ops::gemm(false, false, M, cols_, rows_, 1.0f, dY, w, 0.0f, dX);
}

}  // namespace bitblock
