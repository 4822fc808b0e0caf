#include "bitblock/framework/conv2d.hpp"

#include <algorithm>
#include <cmath>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/patches.hpp"
#include "bitblock/kernels/transpose.hpp"

namespace bitblock {

namespace {
// Samples are convolved in groups whose column matrix holds at most this many floats (16 MiB):
// one wide GEMM per group keeps small feature maps efficient without a batch-sized buffer.
constexpr int64_t kColsBudget = int64_t{1} << 22;
// The compact path's groups are smaller (1 MiB of patch rows): the patch rows, the products'
// outputs and the transposes of a group stay in L2 (the kernels tile the rows anyway).
constexpr int64_t kPatchBudget = int64_t{1} << 18;

// Checked before any member is sized from them.
int64_t checked_channels(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding) {
  if (in_channels <= 0 || out_channels <= 0) fail_input("conv2d", "channels must be positive");
  if (kernel <= 0 || stride <= 0 || padding < 0)
    fail_input("conv2d", "needs kernel >= 1, stride >= 1, padding >= 0; got kernel " + std::to_string(kernel) +
                             ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding));
  return in_channels;
}

std::unique_ptr<WeightConstraint> sized_for(std::unique_ptr<WeightConstraint> c, int64_t out_channels, int64_t fan_in) {
  if (c && (c->rows() != out_channels || c->cols() != fan_in))
    fail_input("conv2d", "constraint sized " + std::to_string(c->rows()) + "x" + std::to_string(c->cols()) +
                             " for a " + std::to_string(out_channels) + "x" + std::to_string(fan_in) + " weight matrix");
  return c;
}

kernels::PatchGeometry patch_geometry(const ops::ConvGeometry& g) {
  return {g.channels, g.height, g.width, g.kernel, g.stride, g.padding};
}
}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding, bool bias,
               std::unique_ptr<WeightConstraint> constraint)
    : in_ch_(checked_channels(in_channels, out_channels, kernel, stride, padding)), out_ch_(out_channels),
      kernel_(kernel), stride_(stride), padding_(padding), has_bias_(bias),
      w_({out_channels, in_channels, kernel, kernel}, out_channels, in_channels * kernel * kernel,
         sized_for(std::move(constraint), out_channels, in_channels * kernel * kernel)) {
  if (has_bias_) {
    bias_ = Tensor({out_ch_});
    bias_grad_ = Tensor({out_ch_});
  }
}

void Conv2d::init(Rng& rng) {
  const float bound = std::sqrt(6.0f / static_cast<float>(in_ch_ * kernel_ * kernel_));
  for (float& w : weight().values()) w = rng.uniform(-bound, bound);
  bias_.fill(0.0f);
}

std::string Conv2d::describe() const {
  std::string s = "conv2d " + std::to_string(in_ch_) + " -> " + std::to_string(out_ch_) + " k" +
                  std::to_string(kernel_) + " s" + std::to_string(stride_) + " p" + std::to_string(padding_);
  if (!has_bias_) s += " (no bias)";
  if (const WeightConstraint* c = w_.constraint())
    s += " weight_bits " + std::to_string(c->spec().weight_bits) + " " + to_string(c->spec().structure) + " ratio " +
         std::to_string(c->spec().ratio);
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
  const int64_t budget = packed() ? kPatchBudget : kColsBudget;
  return std::clamp<int64_t>(budget / std::max<int64_t>(1, g.patch_size() * g.out_pixels()), 1, batch);
}

Tensor Conv2d::forward(const Tensor& x, Context& /*ctx*/) {
  const ops::ConvGeometry g = geometry(x, "forward");
  input_.resize(x.shape());
  ops::copy(x.numel(), x.data(), input_.data());
  Tensor y({x.dim(0), out_ch_, g.out_height(), g.out_width()});
  if (packed()) {
    forward_compact(x, g, y);
  } else {
    forward_dense(x, g, y);
  }
  if (has_bias_) ops::add_bias_channels(y.data(), bias_.data(), x.dim(0), out_ch_, g.out_pixels());
  return y;
}

void Conv2d::forward_dense(const Tensor& x, const ops::ConvGeometry& g, Tensor& y) {
  const int64_t batch = x.dim(0), k = g.patch_size(), pixels = g.out_pixels();
  const int64_t in_size = g.channels * g.height * g.width, out_size = out_ch_ * pixels;
  forward_weight_ = w_.effective();
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
}

void Conv2d::forward_compact(const Tensor& x, const ops::ConvGeometry& g, Tensor& y) {
  const int64_t batch = x.dim(0), k = g.patch_size(), pixels = g.out_pixels();
  const int64_t in_size = g.channels * g.height * g.width, out_size = out_ch_ * pixels;
  w_.prepare();
  const int64_t group = group_size(g, batch);
  for (int64_t n0 = 0; n0 < batch; n0 += group) {
    const int64_t gs = std::min(group, batch - n0), rows = gs * pixels;
    patches_.resize({rows, k});
    kernels::image_to_patches(x.data() + n0 * in_size, gs, patch_geometry(g), patches_.data(), k);
    out_rows_.resize({rows, out_ch_});
    w_.forward(patches_.data(), rows, out_rows_.data());
    // Each sample's [pixels, out_ch] rows -> its [out_ch, pixels] block of y.
    kernels::transpose(out_rows_.data(), gs, pixels, out_ch_, out_ch_, pixels * out_ch_, y.data() + n0 * out_size,
                       pixels, out_size);
  }
}

Tensor Conv2d::backward(const Tensor& grad_y) { return backward_impl(grad_y, true); }

void Conv2d::backward_params(const Tensor& grad_y) { backward_impl(grad_y, false); }

Tensor Conv2d::backward_impl(const Tensor& grad_y, bool input_grad) {
  if (input_.empty()) fail_input("conv2d", "backward called before forward");
  const ops::ConvGeometry g = geometry(input_, "backward");
  const int64_t batch = input_.dim(0);
  if (grad_y.shape() != Shape{batch, out_ch_, g.out_height(), g.out_width()})
    fail_input("conv2d", "backward got " + shape_str(grad_y.shape()));
  Tensor dx = input_grad ? Tensor(input_.shape()) : Tensor();
  if (packed()) {
    backward_compact(grad_y, g, input_grad ? &dx : nullptr);
  } else {
    backward_dense(grad_y, g, input_grad ? &dx : nullptr);
  }
  if (has_bias_) ops::sum_channels_into(grad_y.data(), batch, out_ch_, g.out_pixels(), bias_grad_.data());
  return dx;
}

void Conv2d::backward_dense(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx) {
  const int64_t batch = input_.dim(0), k = g.patch_size(), pixels = g.out_pixels();
  const int64_t in_size = g.channels * g.height * g.width, out_size = out_ch_ * pixels;
  const bool constrained = w_.constraint() != nullptr;
  float* dw = w_.weight_grad().data();
  if (constrained) {
    grad_effective_.resize(w_.weight().shape());
    dw = grad_effective_.data();
  }
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
    const float beta = (constrained && n0 == 0) ? 0.0f : 1.0f;
    ops::gemm(false, true, out_ch_, k, ld, 1.0f, dy, ld, cols_.data(), ld, beta, dw, k);
    if (!dx) continue;
    // dcols = W_eff^T dY, reusing the column buffer, then scattered back onto the images.
    ops::gemm(true, false, k, ld, out_ch_, 1.0f, forward_weight_, k, dy, ld, 0.0f, cols_.data(), ld);
    for (int64_t i = 0; i < gs; ++i) ops::col2im(cols_.data() + i * pixels, ld, g, dx->data() + (n0 + i) * in_size);
  }
  if (constrained) w_.add_effective_grad(grad_effective_.data());
}

void Conv2d::backward_compact(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx) {
  const int64_t batch = input_.dim(0), k = g.patch_size(), pixels = g.out_pixels();
  const int64_t in_size = g.channels * g.height * g.width, out_size = out_ch_ * pixels;
  const int64_t group = group_size(g, batch);
  for (int64_t n0 = 0; n0 < batch; n0 += group) {
    const int64_t gs = std::min(group, batch - n0), rows = gs * pixels;
    patches_.resize({rows, k});
    kernels::image_to_patches(input_.data() + n0 * in_size, gs, patch_geometry(g), patches_.data(), k);
    out_rows_.resize({rows, out_ch_});  // the output gradient as rows [pixels, out_ch] per sample
    kernels::transpose(grad_y.data() + n0 * out_size, gs, out_ch_, pixels, pixels, out_size, out_rows_.data(),
                       out_ch_, pixels * out_ch_);
    if (!dx) {
      w_.backward(out_rows_.data(), rows, patches_.data(), nullptr);
      continue;
    }
    patch_grad_.resize({rows, k});
    w_.backward(out_rows_.data(), rows, patches_.data(), patch_grad_.data());
    kernels::patches_to_image(patch_grad_.data(), k, gs, patch_geometry(g), dx->data() + n0 * in_size);
  }
}

std::vector<Param> Conv2d::params() {
  std::vector<Param> p{w_.param()};
  if (has_bias_) p.push_back({"bias", &bias_, &bias_grad_, false});
  return p;
}

int64_t Conv2d::macs(const Shape& input) const {
  const Shape out = output_shape(input);
  const WeightConstraint* c = w_.constraint();
  const int64_t per_pixel = c ? c->kept() : out_ch_ * in_ch_ * kernel_ * kernel_;
  return per_pixel * out[1] * out[2];
}

}  // namespace bitblock
