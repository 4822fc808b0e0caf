#include "bitblock/framework/conv2d.hpp"

#include <algorithm>
#include <cmath>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {
// Samples are convolved in groups whose column matrix holds at most this many floats (16 MiB):
// one wide GEMM per group keeps small feature maps efficient without a batch-sized buffer.
constexpr int64_t kColsBudget = int64_t{1} << 22;
}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding, bool bias,
               std::unique_ptr<WeightConstraint> constraint)
    : in_ch_(in_channels), out_ch_(out_channels), kernel_(kernel), stride_(stride), padding_(padding),
      has_bias_(bias), constraint_(std::move(constraint)) {
  if (in_ch_ <= 0 || out_ch_ <= 0) fail_input("conv2d", "channels must be positive");
  if (kernel_ <= 0 || stride_ <= 0 || padding_ < 0)
    fail_input("conv2d", "needs kernel >= 1, stride >= 1, padding >= 0; got kernel " + std::to_string(kernel_) +
                             ", stride " + std::to_string(stride_) + ", padding " + std::to_string(padding_));
  const int64_t fan_in = in_ch_ * kernel_ * kernel_;
  if (constraint_ && (constraint_->rows() != out_ch_ || constraint_->cols() != fan_in))
    fail_input("conv2d", "constraint sized " + std::to_string(constraint_->rows()) + "x" +
                             std::to_string(constraint_->cols()) + " for a " + std::to_string(out_ch_) + "x" +
                             std::to_string(fan_in) + " weight matrix");
  weight_ = Tensor({out_ch_, in_ch_, kernel_, kernel_});
  weight_grad_ = Tensor(weight_.shape());
  if (has_bias_) {
    bias_ = Tensor({out_ch_});
    bias_grad_ = Tensor({out_ch_});
  }
}

void Conv2d::init(Rng& rng) {
  const float bound = std::sqrt(6.0f / static_cast<float>(in_ch_ * kernel_ * kernel_));
  for (float& w : weight_.values()) w = rng.uniform(-bound, bound);
  bias_.fill(0.0f);
}

std::string Conv2d::describe() const {
  std::string s = "conv2d " + std::to_string(in_ch_) + " -> " + std::to_string(out_ch_) + " k" +
                  std::to_string(kernel_) + " s" + std::to_string(stride_) + " p" + std::to_string(padding_);
  if (!has_bias_) s += " (no bias)";
  if (constraint_) s += " weight_bits " + std::to_string(constraint_->spec().weight_bits) + " " +
                        to_string(constraint_->spec().structure) + " ratio " + std::to_string(constraint_->spec().ratio);
  return s;
}

Shape Conv2d::output_shape(const Shape& input) const {
  if (input.size() != 3 || input[0] != in_ch_)
    fail_input("conv2d", "expects [" + std::to_string(in_ch_) + ", H, W] input, got " + shape_str(input));
  ops::ConvGeometry g{input[0], input[1], input[2], kernel_, stride_, padding_};
  if (input[1] + 2 * padding_ < kernel_ || input[2] + 2 * padding_ < kernel_)
    fail_input("conv2d", "kernel " + std::to_string(kernel_) + " larger than padded input " + shape_str(input));
  return {out_ch_, g.out_height(), g.out_width()};
}

ops::ConvGeometry Conv2d::geometry(const Tensor& x, const char* where) const {
  if (x.rank() != 4) fail_input("conv2d", std::string(where) + " expects [N, C, H, W], got " + shape_str(x.shape()));
  output_shape({x.dim(1), x.dim(2), x.dim(3)});
  return ops::ConvGeometry{x.dim(1), x.dim(2), x.dim(3), kernel_, stride_, padding_};
}

int64_t Conv2d::group_size(const ops::ConvGeometry& g, int64_t batch) const {
  return std::clamp<int64_t>(kColsBudget / std::max<int64_t>(1, g.patch_size() * g.out_pixels()), 1, batch);
}

const float* Conv2d::refresh_effective() {
  if (!constraint_) return weight_.data();
  effective_.resize(weight_.shape());
  constraint_->apply(weight_.data(), effective_.data());
  return effective_.data();
}

Tensor Conv2d::effective_weight() {
  const float* w = refresh_effective();
  return Tensor(weight_.shape(), std::vector<float>(w, w + weight_.numel()));
}

Tensor Conv2d::forward(const Tensor& x, Context& /*ctx*/) {
  const ops::ConvGeometry g = geometry(x, "forward");
  const int64_t batch = x.dim(0), k = g.patch_size(), pixels = g.out_pixels();
  const int64_t in_size = g.channels * g.height * g.width, out_size = out_ch_ * pixels;
  input_.resize(x.shape());
  ops::copy(x.numel(), x.data(), input_.data());
  forward_weight_ = refresh_effective();
  Tensor y({batch, out_ch_, g.out_height(), g.out_width()});
  const int64_t group = group_size(g, batch);
  for (int64_t n0 = 0; n0 < batch; n0 += group) {
    const int64_t gs = std::min(group, batch - n0), ld = gs * pixels;
    cols_.resize({k, ld});
    for (int64_t i = 0; i < gs; ++i) ops::im2col(x.data() + (n0 + i) * in_size, g, cols_.data() + i * pixels, ld);
    if (gs == 1) {  // the GEMM result already has the sample's [out_ch, pixels] layout
      ops::gemm(false, false, out_ch_, pixels, k, 1.0f, forward_weight_, cols_.data(), 0.0f, y.data() + n0 * out_size);
      continue;
    }
    out_cols_.resize({out_ch_, ld});
    ops::gemm(false, false, out_ch_, ld, k, 1.0f, forward_weight_, cols_.data(), 0.0f, out_cols_.data());
    for (int64_t i = 0; i < gs; ++i)
      ops::copy_matrix(out_ch_, pixels, out_cols_.data() + i * pixels, ld, y.data() + (n0 + i) * out_size, pixels);
  }
  if (has_bias_) ops::add_bias_channels(y.data(), bias_.data(), batch, out_ch_, pixels);
  return y;
}

Tensor Conv2d::backward(const Tensor& grad_y) { return backward_impl(grad_y, true); }

void Conv2d::backward_params(const Tensor& grad_y) { backward_impl(grad_y, false); }

Tensor Conv2d::backward_impl(const Tensor& grad_y, bool input_grad) {
  if (input_.empty()) fail_input("conv2d", "backward called before forward");
  const ops::ConvGeometry g = geometry(input_, "backward");
  const int64_t batch = input_.dim(0), k = g.patch_size(), pixels = g.out_pixels();
  const int64_t in_size = g.channels * g.height * g.width, out_size = out_ch_ * pixels;
  if (grad_y.shape() != Shape{batch, out_ch_, g.out_height(), g.out_width()})
    fail_input("conv2d", "backward got " + shape_str(grad_y.shape()));
  float* dw = weight_grad_.data();
  if (constraint_) {
    grad_effective_.resize(weight_.shape());
    grad_latent_.resize(weight_.shape());
    dw = grad_effective_.data();
  }
  Tensor dx = input_grad ? Tensor(input_.shape()) : Tensor();
  const int64_t group = group_size(g, batch);
  for (int64_t n0 = 0; n0 < batch; n0 += group) {
    const int64_t gs = std::min(group, batch - n0), ld = gs * pixels;
    const float* dy = grad_y.data() + n0 * out_size;
    if (gs > 1) {  // gather the group's output gradients side by side: [out_ch, gs*pixels]
      out_cols_.resize({out_ch_, ld});
      for (int64_t i = 0; i < gs; ++i)
        ops::copy_matrix(out_ch_, pixels, grad_y.data() + (n0 + i) * out_size, pixels, out_cols_.data() + i * pixels, ld);
      dy = out_cols_.data();
    }
    cols_.resize({k, ld});
    for (int64_t i = 0; i < gs; ++i) ops::im2col(input_.data() + (n0 + i) * in_size, g, cols_.data() + i * pixels, ld);
    // dW (+)= dY cols^T; the constrained path sums the batch into grad_effective_ first.
    const float beta = (constraint_ && n0 == 0) ? 0.0f : 1.0f;
    ops::gemm(false, true, out_ch_, k, ld, 1.0f, dy, ld, cols_.data(), ld, beta, dw, k);
    if (!input_grad) continue;
    // dcols = W_eff^T dY, reusing the column buffer, then scattered back onto the images.
    ops::gemm(true, false, k, ld, out_ch_, 1.0f, forward_weight_, k, dy, ld, 0.0f, cols_.data(), ld);
    for (int64_t i = 0; i < gs; ++i) ops::col2im(cols_.data() + i * pixels, ld, g, dx.data() + (n0 + i) * in_size);
  }
  if (constraint_) {
    constraint_->backward(weight_.data(), grad_effective_.data(), grad_latent_.data());
    ops::axpy(weight_.numel(), 1.0f, grad_latent_.data(), weight_grad_.data());
  }
  if (has_bias_) ops::sum_channels_into(grad_y.data(), batch, out_ch_, pixels, bias_grad_.data());
  return dx;
}

void Conv2d::begin_epoch(int epoch) {
  if (constraint_) constraint_->begin_epoch(epoch, weight_.data());
}

void Conv2d::after_optimizer_step() {
  if (constraint_) constraint_->after_step(weight_.data());
}

std::vector<Param> Conv2d::params() {
  std::vector<Param> p{{"weight", &weight_, &weight_grad_, true}};
  if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_, false});
  return p;
}

int64_t Conv2d::macs(const Shape& input) const {
  const Shape out = output_shape(input);
  const int64_t per_pixel = constraint_ ? constraint_->kept() : out_ch_ * in_ch_ * kernel_ * kernel_;
  return per_pixel * out[1] * out[2];
}

}  // namespace bitblock
