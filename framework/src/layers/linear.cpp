#include "bitblock/framework/linear.hpp"

#include <cmath>
#include <stdexcept>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

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
  if (!layout_ready()) {
    const ConstraintSpec& spec = constraint_->spec();
    kernels::BsrLayout layout = kernels::bsr_layout_from_mask(constraint_->mask().data(), out_, in_,
                                                             spec.block_rows, spec.block_cols);
    int64_t covered = 0;  // in-matrix elements of the kept blocks: all of them must be kept
    for (int64_t i = 0; i < layout.num_block_rows(); ++i)
      for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b)
        covered += int64_t{layout.rows_in_block_row(i)} * layout.cols_in_block_col(layout.block_col_idx[b]);
    if (covered != constraint_->kept()) throw std::logic_error("Linear: the packed path needs a mask of whole blocks");
    // A restored checkpoint sets the same mask again: the compact weights stay as they are.
    const bool same = blocks_ && layout.block_row_ptr == blocks_->layout().block_row_ptr &&
                      layout.block_col_idx == blocks_->layout().block_col_idx;
    if (!same) {
      weight();  // the kept weights of the old layout back into weight_
      blocks_ = ops::block_sparse(layout, device_, describe());
    }
    blocks_mask_version_ = constraint_->mask_version();
  }
  if (compact_live_) return;
  const Shape shape = blocks_->blocks_shape();
  if (kept_g_.shape() != shape || kept_g_.device() != device_) kept_g_ = Tensor(shape, device_);
  kept_w_.reset(shape, device_);
  blocks_->gather(weight_, kept_w_);
  compact_live_ = true;
}

Tensor& Linear::weight() {
  if (compact_live_) {
    blocks_->write(kept_w_, weight_);
    compact_live_ = false;
  }
  return weight_;
}

Tensor& Linear::weight_grad() {
  if (packed() && blocks_ && kept_g_.numel() == blocks_->layout().kept_blocks() * blocks_->layout().block_elems())
    blocks_->scatter(kept_g_, weight_grad_);
  return weight_grad_;
}

std::string Linear::packed_kernels() const { return packed() && blocks_ ? blocks_->kernels() : std::string(); }

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
  Tensor w({out_, in_});
  for (float& v : w.values()) v = rng.uniform(-bound, bound);
  weight().copy_from(w);
  compact_live_ = false;
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

const Tensor& Linear::refresh_effective() {
  if (!constraint_) return weight_;
  effective_.reset(weight_.shape(), device_);
  constraint_->apply(weight_, effective_);
  return effective_;
}

Tensor Linear::effective_weight() {
  weight();  // packed: current kept weights into weight_
  return refresh_effective();
}

Tensor Linear::forward(const Tensor& x, Context& /*ctx*/) {
  if (x.rank() < 2 || features_per_sample(x.shape(), 1) != in_)
    fail_input("linear", "expects [batch, " + std::to_string(in_) + "] input, got " + shape_str(x.shape()));
  const int64_t batch = x.dim(0);
  input_.reset(x.shape(), x.device());
  input_.copy_from(x);
  Tensor y = Tensor::for_output({batch, out_}, x.device());
  if (packed()) {
    ensure_compact();
    eff_blocks_.reset(kept_w_.shape(), device_);
    constraint_->apply_blocks(*blocks_, kept_w_, eff_blocks_);
    blocks_->set_values(eff_blocks_);
    blocks_->forward(x, y);
  } else {
    ops::matmul(false, true, batch, out_, in_, 1.0f, x, refresh_effective(), 0.0f, y);
  }
  if (has_bias_) ops::add_bias_rows(y, bias_);
  return y;
}

Tensor Linear::backward(const Tensor& grad_y) { return backward_impl(grad_y, true); }

void Linear::backward_params(const Tensor& grad_y) { backward_impl(grad_y, false); }

Tensor Linear::backward_impl(const Tensor& grad_y, bool input_grad) {
  const int64_t batch = input_.empty() ? 0 : input_.dim(0);
  if (grad_y.rank() != 2 || grad_y.dim(0) != batch || grad_y.dim(1) != out_)
    fail_input("linear", "backward expects [" + std::to_string(batch) + ", " + std::to_string(out_) + "], got " +
                             shape_str(grad_y.shape()));
  if (constraint_ && packed()) {
    // Only the kept blocks' gradients exist, computed and accumulated compactly.
    grad_blocks_.reset(kept_w_.shape(), device_);
    blocks_->backward_weight(grad_y, input_, grad_blocks_);
    constraint_->backward_blocks(kept_w_, grad_blocks_, kept_g_);
  } else if (constraint_) {
    grad_effective_.reset(weight_.shape(), device_);
    grad_latent_.reset(weight_.shape(), device_);
    ops::matmul(true, false, out_, in_, batch, 1.0f, grad_y, input_, 0.0f, grad_effective_);
    constraint_->backward(weight_, grad_effective_, grad_latent_);
    ops::axpy(1.0f, grad_latent_, weight_grad_);
  } else {
    ops::matmul(true, false, out_, in_, batch, 1.0f, grad_y, input_, 1.0f, weight_grad_);
  }
  if (has_bias_) ops::sum_rows_into(grad_y, bias_grad_);
  if (!input_grad) return Tensor();
  Tensor dx = Tensor::for_output(input_.shape(), device_);
  if (packed()) {
    blocks_->backward_input(grad_y, dx);
  } else {
    ops::matmul(false, false, batch, in_, out_, 1.0f, grad_y, constraint_ ? effective_ : weight_, 0.0f, dx);
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
  if (!constraint_) return;
  Tensor copy;
  constraint_->begin_epoch(epoch, packed() ? nullptr : on_host(weight(), copy).data());
}

void Linear::after_optimizer_step() {
  if (!constraint_) return;
  constraint_->after_step(compact_live_ ? kept_w_ : weight_);
}

void Linear::to(Device device) {
  if (device == device_) return;
  weight();  // the compact weights back into weight_; they are gathered again on the new device
  for (Tensor* t : {&weight_, &bias_, &weight_grad_, &bias_grad_}) *t = t->to(device);
  blocks_.reset();
  kept_w_ = kept_g_ = eff_blocks_ = grad_blocks_ = effective_ = grad_effective_ = grad_latent_ = input_ = Tensor();
  device_ = device;
}

int64_t Linear::macs(const Shape& /*input*/) const {
  return constraint_ ? constraint_->kept() : in_ * out_;
}

}  // namespace bitblock
