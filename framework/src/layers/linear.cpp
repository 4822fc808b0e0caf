#include "bitblock/framework/linear.hpp"

#include <cmath>
#include <stdexcept>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"
#include "bitblock/kernels/bsgemm.hpp"

namespace bitblock {

namespace {
int64_t features_per_sample(const Shape& s, size_t first) {
  int64_t n = 1;
  for (size_t i = first; i < s.size(); ++i) n *= s[i];
  return n;
}
}  // namespace

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

bool Linear::packed() const {
  if (!constraint_) return false;
  const ConstraintSpec& spec = constraint_->spec();
  if (spec.structure != Structure::Block || spec.selection != Selection::Random) return false;
  switch (kernels_) {
    case KernelChoice::Dense: return false;
    case KernelChoice::Packed: return true;
    default: return constraint_->spec().ratio >= 2.0;
  }
}

void Linear::ensure_compact() {
  if (!plan_ready_ || plan_mask_version_ != constraint_->mask_version()) {
    const ConstraintSpec& spec = constraint_->spec();
    kernels::BsrLayout layout = kernels::bsr_layout_from_mask(constraint_->mask().data(), out_, in_,
                                                             spec.block_rows, spec.block_cols);
    int64_t covered = 0;  // in-matrix elements of the kept blocks: all of them must be kept
    for (int64_t i = 0; i < layout.num_block_rows(); ++i)
      for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b)
        covered += int64_t{layout.rows_in_block_row(i)} * layout.cols_in_block_col(layout.block_col_idx[b]);
    if (covered != constraint_->kept()) throw std::logic_error("Linear: the packed path needs a mask of whole blocks");
    // A restored checkpoint sets the same mask again: the compact weights stay as they are.
    const bool same = plan_ready_ && layout.block_row_ptr == plan_.layout.block_row_ptr &&
                      layout.block_col_idx == plan_.layout.block_col_idx;
    if (!same) {
      weight();  // the kept weights of the old layout back into weight_
      plan_ = kernels::bsr_plan_for_layout(layout);
    }
    plan_mask_version_ = constraint_->mask_version();
    plan_ready_ = true;
  }
  if (compact_live_) return;
  const kernels::BsrLayout& l = plan_.layout;
  const Shape shape{l.kept_blocks(), l.block_rows, l.block_cols};
  if (kept_g_.shape() != shape) kept_g_ = Tensor(shape);
  kept_w_.resize(shape);
  kernels::bsr_gather_blocks(l, weight_.data(), kept_w_.data());
  compact_live_ = true;
}

Tensor& Linear::weight() {
  if (compact_live_) {
    kernels::bsr_write_blocks(plan_.layout, kept_w_.data(), weight_.data());
    compact_live_ = false;
  }
  return weight_;
}

Tensor& Linear::weight_grad() {
  if (packed() && plan_ready_ && kept_g_.numel() == plan_.layout.kept_blocks() * plan_.layout.block_elems())
    kernels::bsr_scatter_blocks(plan_.layout, kept_g_.data(), weight_grad_.data());
  return weight_grad_;
}

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, std::unique_ptr<WeightConstraint> constraint)
    : in_(in_features), out_(out_features), has_bias_(bias), constraint_(std::move(constraint)) {
  if (in_ <= 0 || out_ <= 0)
    fail_input("linear", "features must be positive, got in " + std::to_string(in_) + ", out " + std::to_string(out_));
  if (constraint_ && (constraint_->rows() != out_ || constraint_->cols() != in_))
    fail_input("linear", "constraint sized " + std::to_string(constraint_->rows()) + "x" +
                             std::to_string(constraint_->cols()) + " for a " + std::to_string(out_) + "x" +
                             std::to_string(in_) + " weight");
  weight_ = Tensor({out_, in_});
  weight_grad_ = Tensor({out_, in_});
  if (has_bias_) {
    bias_ = Tensor({out_});
    bias_grad_ = Tensor({out_});
  }
}

void Linear::init(Rng& rng) {
  const float bound = std::sqrt(6.0f / static_cast<float>(in_));
  for (float& w : weight_.values()) w = rng.uniform(-bound, bound);
  bias_.fill(0.0f);
}

std::string Linear::describe() const {
  std::string s = "linear " + std::to_string(in_) + " -> " + std::to_string(out_);
  if (!has_bias_) s += " (no bias)";
  if (constraint_) s += " weight_bits " + std::to_string(constraint_->spec().weight_bits) + " " +
                        to_string(constraint_->spec().structure) + " ratio " + std::to_string(constraint_->spec().ratio);
  return s;
}

Shape Linear::output_shape(const Shape& input) const {
  if (features_per_sample(input, 0) != in_)
    fail_input("linear", "expects " + std::to_string(in_) + " input features, got shape " + shape_str(input));
  return {out_};
}

const float* Linear::refresh_effective() {
  if (!constraint_) return weight_.data();
  effective_.resize(weight_.shape());
  constraint_->apply(weight_.data(), effective_.data());
  return effective_.data();
}

Tensor Linear::effective_weight() {
  weight();  // packed: current kept weights into weight_
  const float* w = refresh_effective();
  return Tensor(weight_.shape(), std::vector<float>(w, w + weight_.numel()));
}

Tensor Linear::forward(const Tensor& x, Context& /*ctx*/) {
  if (x.rank() < 2 || features_per_sample(x.shape(), 1) != in_)
    fail_input("linear", "expects [batch, " + std::to_string(in_) + "] input, got " + shape_str(x.shape()));
  const int64_t batch = x.dim(0);
  input_.resize(x.shape());
  ops::copy(x.numel(), x.data(), input_.data());
  Tensor y({batch, out_});
  if (packed()) {
    ensure_compact();
    eff_blocks_.resize(static_cast<size_t>(kept_w_.numel()));
    constraint_->apply_blocks(plan_.layout, kept_w_.data(), eff_blocks_.data());
    kernels::bsr_plan_set_blocks(plan_, eff_blocks_.data());
    kernels::bsgemm_forward(x.data(), batch, in_, plan_, y.data(), out_);
  } else {
    ops::gemm(false, true, batch, out_, in_, 1.0f, x.data(), refresh_effective(), 0.0f, y.data());
  }
  if (has_bias_) ops::add_bias_rows(y.data(), bias_.data(), batch, out_);
  return y;
}

Tensor Linear::backward(const Tensor& grad_y) { return backward_impl(grad_y, true); }

void Linear::backward_params(const Tensor& grad_y) { backward_impl(grad_y, false); }

Tensor Linear::backward_impl(const Tensor& grad_y, bool input_grad) {
  const int64_t batch = input_.empty() ? 0 : input_.dim(0);
  if (grad_y.rank() != 2 || grad_y.dim(0) != batch || grad_y.dim(1) != out_)
    fail_input("linear", "backward expects [" + std::to_string(batch) + ", " + std::to_string(out_) + "], got " +
                             shape_str(grad_y.shape()));
  const float* dy = grad_y.data();
  if (constraint_ && packed()) {
    // Only the kept blocks' gradients exist, computed and accumulated compactly.
    grad_blocks_.resize(static_cast<size_t>(kept_w_.numel()));
    kernels::bsgemm_backward_weight(dy, batch, out_, input_.data(), in_, plan_.layout, grad_blocks_.data());
    constraint_->backward_blocks(kept_w_.data(), grad_blocks_.data(), kept_g_.data(), kept_g_.numel());
  } else if (constraint_) {
    grad_effective_.resize(weight_.shape());
    grad_latent_.resize(weight_.shape());
    ops::gemm(true, false, out_, in_, batch, 1.0f, dy, input_.data(), 0.0f, grad_effective_.data());
    constraint_->backward(weight_.data(), grad_effective_.data(), grad_latent_.data());
    ops::axpy(weight_.numel(), 1.0f, grad_latent_.data(), weight_grad_.data());
  } else {
    ops::gemm(true, false, out_, in_, batch, 1.0f, dy, input_.data(), 1.0f, weight_grad_.data());
  }
  if (has_bias_) ops::sum_rows_into(dy, batch, out_, bias_grad_.data());
  if (!input_grad) return Tensor();
  Tensor dx(input_.shape());
  if (packed()) {
    kernels::bsgemm_backward_input(dy, batch, out_, plan_, dx.data(), in_);
  } else {
    const float* w = constraint_ ? effective_.data() : weight_.data();
    ops::gemm(false, false, batch, in_, out_, 1.0f, dy, w, 0.0f, dx.data());
  }
  return dx;
}

std::vector<Param> Linear::params() {
  std::vector<Param> p;
  if (packed()) {
    ensure_compact();
    p.push_back({"weight", &kept_w_, &kept_g_, true});
  } else {
    p.push_back({"weight", &weight_, &weight_grad_, true});
  }
  if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_, false});
  return p;
}

void Linear::begin_epoch(int epoch) {
  // The packed path has a random (fixed) mask, which needs no weights: its compact copy stays live.
  if (constraint_) constraint_->begin_epoch(epoch, packed() ? nullptr : weight().data());
}

void Linear::after_optimizer_step() {
  if (!constraint_) return;
  if (compact_live_) {
    constraint_->after_step(kept_w_.data(), kept_w_.numel());
  } else {
    constraint_->after_step(weight_.data());
  }
}

int64_t Linear::macs(const Shape& /*input*/) const {
  return constraint_ ? constraint_->kept() : in_ * out_;
}

}  // namespace bitblock
