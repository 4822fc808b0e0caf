#include "bitblock/framework/conv2d.hpp"

#include <algorithm>
#include <utility>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {

// Checked before any member is sized from them.
int64_t checked_channels(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding) {
  if (in_channels <= 0 || out_channels <= 0) fail_input("conv2d", "channels must be positive");
  if (kernel <= 0 || stride <= 0 || padding < 0)
    fail_input("conv2d", "needs kernel >= 1, stride >= 1, padding >= 0; got kernel " + std::to_string(kernel) +
                             ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding));
  return in_channels;
}
}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, int padding, bool bias,
               std::unique_ptr<WeightConstraint> constraint)
    : in_ch_(checked_channels(in_channels, out_channels, kernel, stride, padding)), out_ch_(out_channels),
      kernel_(kernel), stride_(stride), padding_(padding),
      w_("conv2d", {out_channels, in_channels, kernel, kernel}, out_channels, in_channels * kernel * kernel, bias,
         std::move(constraint)) {}

std::string Conv2d::describe() const {
  return "conv2d " + std::to_string(in_ch_) + " -> " + std::to_string(out_ch_) + " k" + std::to_string(kernel_) + " s" +
         std::to_string(stride_) + " p" + std::to_string(padding_) + w_.describe();
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

Tensor Conv2d::forward(const Tensor& x, Context& /*ctx*/) {
  geometry(x, "forward");
  input_.reset(x.shape(), x.context());
  input_.copy_from(x);
  return forward_kept_input();
}

Tensor Conv2d::forward_taking(Tensor&& x, Context& /*ctx*/) {
  geometry(x, "forward");
  input_ = std::move(x);
  return forward_kept_input();
}

Tensor Conv2d::forward_kept_input() {
  const Tensor& x = input_;
  const ops::ConvGeometry g = geometry(x, "forward");
  Tensor y = Tensor::for_output({x.dim(0), out_ch_, g.out_height(), g.out_width()}, x.context());
  w_.prepare();
  if (w_.kept_path() || w_.sign_product()) {  // patch rows: the kept weights' products or the binary GEMM
    forward_patch_rows(x, g, y);
  } else {
    forward_dense(x, g, y);
  }
  if (w_.has_bias()) ops::add_bias_channels(y, w_.bias());
  return y;
}

void Conv2d::forward_dense(const Tensor& x, const ops::ConvGeometry& g, Tensor& y) {
  ops::conv2d_forward(x, w_.prepared(), g, y, scratch_);
}

void Conv2d::forward_patch_rows(const Tensor& x, const ops::ConvGeometry& g, Tensor& y) {
  const int64_t k = g.patch_size(), pixels = g.out_pixels();
  ops::for_each_group(x.device(), ops::Unrolled::Patches, g, x.dim(0), [&](int64_t n0, int64_t gs) {
    const int64_t rows = gs * pixels;
    patches_.reset({rows, k}, x.context());
    ops::image_to_patches(x, n0, gs, g, patches_);
    out_rows_.reset({rows, out_ch_}, x.context());
    w_.forward(patches_, out_rows_);
    ops::rows_to_maps(out_rows_, gs, pixels, out_ch_, y, n0);  // each sample's [pixels, out_ch] rows -> NCHW
  });
}

Tensor Conv2d::backward(const Tensor& grad_y) { return backward_impl(grad_y, true); }

void Conv2d::backward_params(const Tensor& grad_y) { backward_impl(grad_y, false); }

Tensor Conv2d::backward_impl(const Tensor& grad_y, bool input_grad) {
  if (input_.empty()) fail_input("conv2d", "backward called before forward");
  const ops::ConvGeometry g = geometry(input_, "backward");
  const int64_t batch = input_.dim(0);
  if (grad_y.shape() != Shape{batch, out_ch_, g.out_height(), g.out_width()})
    fail_input("conv2d", "backward got " + shape_str(grad_y.shape()));
  Tensor dx = input_grad ? Tensor::for_output(input_.shape(), input_.context()) : Tensor();
  if (w_.kept_path()) {
    backward_patch_rows(grad_y, g, input_grad ? &dx : nullptr);
  } else {
    backward_dense(grad_y, g, input_grad ? &dx : nullptr);
  }
  if (w_.has_bias()) ops::sum_channels_into(grad_y, w_.bias_grad());
  return dx;
}

void Conv2d::backward_dense(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx) {
  // The constrained path sums the batch into grad_effective_ first.
  const bool constrained = w_.constraint() != nullptr;
  Tensor* dw = &w_.weight_grad();
  if (constrained) {
    grad_effective_.reset(w_.weight().shape(), input_.context());
    dw = &grad_effective_;
  }
  ops::conv2d_backward(input_, w_.prepared(), grad_y, g, !constrained, *dw, dx, scratch_);
  if (constrained) w_.add_effective_grad(grad_effective_);
}

void Conv2d::backward_patch_rows(const Tensor& grad_y, const ops::ConvGeometry& g, Tensor* dx) {
  const int64_t k = g.patch_size(), pixels = g.out_pixels();
  ops::for_each_group(input_.device(), ops::Unrolled::Patches, g, input_.dim(0), [&](int64_t n0, int64_t gs) {
    const int64_t rows = gs * pixels;
    const BatchPart part{n0 == 0, n0 + gs == input_.dim(0)};
    patches_.reset({rows, k}, input_.context());
    ops::image_to_patches(input_, n0, gs, g, patches_);
    out_rows_.reset({rows, out_ch_}, input_.context());  // the output gradient as rows [pixels, out_ch] per sample
    ops::maps_to_rows(grad_y, n0, gs, pixels, out_ch_, out_rows_);
    if (!dx) {
      w_.backward(out_rows_, patches_, nullptr, part);
      return;
    }
    patch_grad_.reset({rows, k}, input_.context());
    w_.backward(out_rows_, patches_, &patch_grad_, part);
    ops::patches_to_image(patch_grad_, gs, g, *dx, n0);
  });
}

void Conv2d::to(const ExecContextPtr& ctx) {
  w_.to(ctx);
  grad_effective_ = input_ = scratch_.cols = scratch_.out_cols = patches_ = out_rows_ = patch_grad_ = Tensor();
}

int64_t Conv2d::macs(const Shape& input) const {
  const Shape out = output_shape(input);
  return w_.macs_per_position() * out[1] * out[2];
}

}  // namespace bitblock
