#include "bitblock/framework/linear.hpp"

#include <cmath>

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

std::unique_ptr<WeightConstraint> sized_for(std::unique_ptr<WeightConstraint> c, int64_t in, int64_t out) {
  if (c && (c->rows() != out || c->cols() != in))
    fail_input("linear", "constraint sized " + std::to_string(c->rows()) + "x" + std::to_string(c->cols()) +
                             " for a " + std::to_string(out) + "x" + std::to_string(in) + " weight");
  return c;
}
}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, std::unique_ptr<WeightConstraint> constraint)
    : in_(positive_features(in_features, out_features)), out_(out_features), has_bias_(bias),
      w_({out_features, in_features}, out_features, in_features, sized_for(std::move(constraint), in_features, out_features)) {
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
  bias_.fill(0.0f);
}

std::string Linear::describe() const {
  std::string s = "linear " + std::to_string(in_) + " -> " + std::to_string(out_);
  if (!has_bias_) s += " (no bias)";
  if (const WeightConstraint* c = w_.constraint())
    s += " weight_bits " + std::to_string(c->spec().weight_bits) + " " + to_string(c->spec().structure) + " ratio " +
         std::to_string(c->spec().ratio);
  return s;
}

Shape Linear::output_shape(const Shape& input) const {
  if (features_per_sample(input, 0) != in_)
    fail_input("linear", "expects " + std::to_string(in_) + " input features, got shape " + shape_str(input));
  return {out_};
}

Tensor Linear::forward(const Tensor& x, Context& /*ctx*/) {
  if (x.rank() < 2 || features_per_sample(x.shape(), 1) != in_)
    fail_input("linear", "expects [batch, " + std::to_string(in_) + "] input, got " + shape_str(x.shape()));
  input_.reset(x.shape(), x.device());
  input_.copy_from(x);
  Tensor y = Tensor::for_output({x.dim(0), out_}, x.device());
  w_.prepare();
  w_.forward(x, y);
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
  Tensor dx = input_grad ? Tensor::for_output(input_.shape(), input_.device()) : Tensor();
  w_.backward(grad_y, input_, input_grad ? &dx : nullptr);
  if (has_bias_) ops::sum_rows_into(grad_y, bias_grad_);
  return dx;
}

std::vector<Param> Linear::params() {
  std::vector<Param> p{w_.param()};
  if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_, false});
  return p;
}

void Linear::to(Device device) {
  w_.to(device);
  bias_ = bias_.to(device);
  bias_grad_ = bias_grad_.to(device);
  input_ = Tensor();
}

int64_t Linear::macs(const Shape& /*input*/) const {
  return w_.constraint() ? w_.constraint()->kept() : in_ * out_;
}

}  // namespace bitblock
