#include "bitblock/framework/linear.hpp"

#include <utility>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

namespace {
int64_t features_per_sample(const Shape& s, size_t first) {
  int64_t n = 1;
  for (size_t i = first; i < s.size(); ++i) n *= s[i];
  return n;
}

// Checked before any member is sized from them.
int64_t positive_features(int64_t in, int64_t out) {
  if (in <= 0 || out <= 0)
    fail_input("linear", "features must be positive, got in " + std::to_string(in) + ", out " + std::to_string(out));
  return in;
}
}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, std::unique_ptr<WeightConstraint> constraint)
    : in_(positive_features(in_features, out_features)), out_(out_features),
      w_("linear", {out_features, in_features}, out_features, in_features, bias, std::move(constraint)) {}

std::string Linear::describe() const {
  return "linear " + std::to_string(in_) + " -> " + std::to_string(out_) + w_.describe();
}

Shape Linear::output_shape(const Shape& input) const {
  if (features_per_sample(input, 0) != in_)
    fail_input("linear", "expects " + std::to_string(in_) + " input features, got shape " + shape_str(input));
  return {out_};
}

void Linear::check_input(const Tensor& x) const {
  if (x.rank() < 2 || features_per_sample(x.shape(), 1) != in_)
    fail_input("linear", "expects [batch, " + std::to_string(in_) + "] input, got " + shape_str(x.shape()));
}

Tensor Linear::forward(const Tensor& x, Context& /*ctx*/) {
  check_input(x);
  input_.reset(x.shape(), x.context());
  input_.copy_from(x);
  return forward_kept_input();
}

Tensor Linear::forward_taking(Tensor&& x, Context& /*ctx*/) {
  check_input(x);
  input_ = std::move(x);
  return forward_kept_input();
}

Tensor Linear::forward_kept_input() {
  const Tensor& x = input_;
  Tensor y = Tensor::for_output({x.dim(0), out_}, x.context());
  w_.prepare();
  w_.forward(x, y);
  if (w_.has_bias()) ops::add_bias_rows(y, w_.bias());
  return y;
}

Tensor Linear::backward(const Tensor& grad_y) { return backward_impl(grad_y, true); }

void Linear::backward_params(const Tensor& grad_y) { backward_impl(grad_y, false); }

Tensor Linear::backward_impl(const Tensor& grad_y, bool input_grad) {
  const int64_t batch = input_.empty() ? 0 : input_.dim(0);
  if (grad_y.rank() != 2 || grad_y.dim(0) != batch || grad_y.dim(1) != out_)
    fail_input("linear", "backward expects [" + std::to_string(batch) + ", " + std::to_string(out_) + "], got " +
                             shape_str(grad_y.shape()));
  Tensor dx = input_grad ? Tensor::for_output(input_.shape(), input_.context()) : Tensor();
  w_.backward(grad_y, input_, input_grad ? &dx : nullptr);
  if (w_.has_bias()) ops::sum_rows_into(grad_y, w_.bias_grad());
  return dx;
}

void Linear::to(const ExecContextPtr& ctx) {
  w_.to(ctx);
  input_ = Tensor();
}

int64_t Linear::macs(const Shape& /*input*/) const { return w_.macs_per_position(); }

}  // namespace bitblock
