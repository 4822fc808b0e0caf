// WeightMatrix: the weight part Linear and Conv2d share (storage, bias, parameters, init, path
// choice), the dense (masked) path and the kept path's layout; the kept path's products are the
// device's KeptWeights.
#include "bitblock/framework/weight_matrix.hpp"

#include <cmath>
#include <stdexcept>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

const char* to_string(KeptUnit u) {
  switch (u) {
    case KeptUnit::Block: return "block";
    case KeptUnit::Row: return "row";
    case KeptUnit::Column: return "column";
    case KeptUnit::Element: return "element";
    default: return "none";
  }
}

namespace {
// Checked before any member is sized from it.
std::unique_ptr<WeightConstraint> sized_for(std::unique_ptr<WeightConstraint> c, const std::string& layer, int64_t rows,
                                            int64_t cols) {
  if (c && (c->rows() != rows || c->cols() != cols))
    fail_input(layer, "constraint sized " + std::to_string(c->rows()) + "x" + std::to_string(c->cols()) + " for a " +
                          std::to_string(rows) + "x" + std::to_string(cols) + " weight matrix");
  return c;
}
}  // namespace

WeightMatrix::WeightMatrix(const std::string& layer, const Shape& shape, int64_t rows, int64_t cols, bool bias,
                           std::unique_ptr<WeightConstraint> constraint)
    : rows_(rows), cols_(cols), constraint_(sized_for(std::move(constraint), layer, rows, cols)), weight_(shape),
      weight_grad_(shape), has_bias_(bias) {
  if (weight_.numel() != rows * cols) throw std::logic_error("WeightMatrix: shape does not hold rows x cols");
  if (has_bias_) {
    bias_ = Tensor({rows_});
    bias_grad_ = Tensor({rows_});
  }
}

void WeightMatrix::init(Rng& rng) {
  const float bound = std::sqrt(6.0f / static_cast<float>(cols_));
  Tensor w(weight_.shape());  // drawn on the host, in W's element order
  for (float& v : w.values()) v = rng.uniform(-bound, bound);
  weight().copy_from(w);
  bias_.fill(0.0f);
}

std::vector<Param> WeightMatrix::params() {
  std::vector<Param> p{weight_param()};
  if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_, false});
  return p;
}

std::string WeightMatrix::describe() const {
  std::string s = has_bias_ ? "" : " (no bias)";
  if (constraint_) {
    const ConstraintSpec& spec = constraint_->spec();
    s += " weight_bits " + std::to_string(spec.weight_bits) + " " + to_string(spec.structure) + " ratio " +
         std::to_string(spec.ratio);
  }
  return s;
}

int64_t WeightMatrix::macs_per_position() const { return constraint_ ? constraint_->kept() : rows_ * cols_; }

KeptUnit WeightMatrix::kept_unit() const {
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

void WeightMatrix::ensure_kept() {
  const KeptUnit u = kept_unit();
  if (!kept_ || kept_->unit() != u || layout_mask_version_ != constraint_->mask_version()) {
    const auto [br, bc] = unit_block_shape(constraint_->spec(), rows_, cols_);
    kernels::BsrLayout layout = kernels::bsr_layout_from_mask(constraint_->mask().data(), rows_, cols_, br, bc);
    int64_t covered = 0;  // in-matrix elements of the kept units: all of them must be kept
    for (int64_t i = 0; i < layout.num_block_rows(); ++i)
      for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b)
        covered += int64_t{layout.rows_in_block_row(i)} * layout.cols_in_block_col(layout.block_col_idx[b]);
    if (covered != constraint_->kept()) throw std::logic_error("WeightMatrix: the kept path needs a mask of whole units");
    // A restored checkpoint sets the same mask again: the kept weights stay as they are.
    const bool same = kept_ && kept_->unit() == u && layout.block_row_ptr == kept_->layout().block_row_ptr &&
                      layout.block_col_idx == kept_->layout().block_col_idx;
    if (!same) {
      weight();  // the kept weights of the old layout back into weight_
      kept_ = ops::kept_weights(layout, u, constraint_->spec().weight_bits, ctx_,
                                   "weights " + std::to_string(rows_) + "x" + std::to_string(cols_));
    }
    layout_mask_version_ = constraint_->mask_version();
  }
  if (kept_live_) return;
  const Shape shape = kept_->blocks_shape();
  if (kept_g_.shape() != shape || kept_g_.context() != ctx_) kept_g_ = Tensor(shape, ctx_);
  kept_w_.reset(shape, ctx_);
  kept_->gather(weight_, kept_w_);
  kept_live_ = true;
}

Tensor& WeightMatrix::weight() {
  if (kept_live_) {
    kept_->write(kept_w_, weight_);
    kept_live_ = false;
  }
  return weight_;
}

Tensor& WeightMatrix::weight_grad() {
  if (kept_path() && kept_ && kept_->unit() == kept_unit() &&
      kept_g_.numel() == kept_->layout().kept_blocks() * kept_->layout().block_elems())
    kept_->scatter(kept_g_, weight_grad_);
  return weight_grad_;
}

const Tensor& WeightMatrix::effective() {
  if (!constraint_) return weight();
  effective_.reset(weight_.shape(), ctx_);
  constraint_->apply(weight(), effective_);
  return effective_;
}

Tensor WeightMatrix::effective_weight() {
  weight();  // kept path: current kept weights into weight_
  return effective();
}

Param WeightMatrix::weight_param() {
  if (!kept_path()) return {"weight", &weight(), &weight_grad_, true};
  ensure_kept();
  return {"weight", &kept_w_, &kept_g_, true};
}

void WeightMatrix::begin_epoch(int epoch) {
  // The kept path has a random (fixed) mask, which needs no weights: its kept copy stays live.
  if (!constraint_) return;
  Tensor copy;
  constraint_->begin_epoch(epoch, kept_path() ? nullptr : on_host(weight(), copy).data());
}

void WeightMatrix::after_optimizer_step() {
  if (constraint_) constraint_->after_step(kept_live_ ? kept_w_ : weight_);
}

void WeightMatrix::add_effective_grad(const Tensor& grad_effective) {
  grad_latent_.reset(weight_.shape(), ctx_);
  constraint_->backward(weight_, grad_effective, grad_latent_);
  ops::axpy(1.0f, grad_latent_, weight_grad_);
}

void WeightMatrix::prepare() {
  if (!kept_path()) {
    effective();
  } else {
    ensure_kept();
    eff_units_.reset(kept_w_.shape(), ctx_);
    constraint_->apply_blocks(*kept_, kept_w_, eff_units_);
    kept_->set_values(eff_units_, kept_w_, constraint_->step_scales());
  }
  prepare_binary();
}

void WeightMatrix::prepare_binary() {
  binary_live_ = false;
  if (!sign_input_ || !constraint_ || constraint_->spec().weight_bits != 1) return;
  const ConstraintSpec& spec = constraint_->spec();
  const KeptUnit u = kept_unit();
  if (u == KeptUnit::Element || (u == KeptUnit::None && spec.structure == Structure::Element)) return;
  const auto key = std::make_tuple(u, constraint_->mask_version(), ctx_.get());
  if (key != binary_key_) {
    binary_.reset();
    binary_key_ = key;
    if (u != KeptUnit::None) {
      binary_ = ops::binary_weights(kept_->layout(), ctx_);
    } else {
      // Dense path: the mask's whole units (one block without a structure), every kept
      // position of which holds +-scale.
      const auto [br, bc] = spec.structure == Structure::None ? std::pair<int, int>(static_cast<int>(rows_), static_cast<int>(cols_))
                                                               : unit_block_shape(spec, rows_, cols_);
      kernels::BsrLayout layout = kernels::bsr_layout_from_mask(constraint_->mask().data(), rows_, cols_, br, bc);
      int64_t covered = 0;
      for (int64_t i = 0; i < layout.num_block_rows(); ++i)
        for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b)
          covered += int64_t{layout.rows_in_block_row(i)} * layout.cols_in_block_col(layout.block_col_idx[b]);
      if (covered == constraint_->kept()) binary_ = ops::binary_weights(layout, ctx_);
    }
  }
  if (!binary_) return;
  if (u == KeptUnit::None) {
    binary_->set_dense(effective_);
  } else {
    binary_->set_kept(eff_units_);
  }
  binary_live_ = true;
}

void WeightMatrix::forward(const Tensor& x, Tensor& y) {
  if (binary_live_) {
    binary_->forward(x, y);
    return;
  }
  if (kept_path()) {
    kept_->forward(x, y);
    return;
  }
  const int64_t M = ops::rows_of(x, cols_);
  ops::matmul(false, true, M, rows_, cols_, 1.0f, x, prepared(), 0.0f, y);
}

void WeightMatrix::backward(const Tensor& dy, const Tensor& x, Tensor* dx, BatchPart part) {
  const int64_t M = ops::rows_of(dy, rows_);
  if (kept_path()) {
    // dW_eff of the kept units, continued across the batch's groups where the kernels can (else
    // each group's is gated on its own); then their straight-through gradient (the mask is 1
    // there).
    if (part.first || !kept_->backward_weight_add(dy, x, grad_units_)) {
      if (!part.first) constraint_->backward_blocks(kept_w_, grad_units_, kept_g_);
      grad_units_.reset(kept_w_.shape(), ctx_);
      kept_->backward_weight(dy, x, grad_units_);
    }
    if (part.last) constraint_->backward_blocks(kept_w_, grad_units_, kept_g_);
    if (dx) kept_->backward_input(dy, *dx);
    return;
  }
  if (constraint_) {
    grad_effective_.reset(weight_.shape(), ctx_);
    ops::matmul(true, false, rows_, cols_, M, 1.0f, dy, x, 0.0f, grad_effective_);
    add_effective_grad(grad_effective_);
  } else {
    ops::matmul(true, false, rows_, cols_, M, 1.0f, dy, x, 1.0f, weight_grad_);
  }
  if (!dx) return;
  ops::matmul(false, false, M, cols_, rows_, 1.0f, dy, prepared(), 0.0f, *dx);
}

void WeightMatrix::to(const ExecContextPtr& ctx) {
  if (ctx == ctx_) return;
  weight();  // the kept weights back into weight_; they are gathered again in the new context
  weight_ = weight_.to(ctx);
  weight_grad_ = weight_grad_.to(ctx);
  bias_ = bias_.to(ctx);
  bias_grad_ = bias_grad_.to(ctx);
  kept_.reset();
  binary_.reset();
  binary_key_ = {KeptUnit::None, ~uint64_t{0}, nullptr};
  binary_live_ = false;
  kept_w_ = kept_g_ = eff_units_ = grad_units_ = effective_ = grad_effective_ = grad_latent_ = Tensor();
  ctx_ = ctx;
}

}  // namespace bitblock
