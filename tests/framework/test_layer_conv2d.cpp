// Conv2d against a naive direct convolution (forward, input and weight gradients), including
// shapes large enough to split the batch into column groups; finite-difference gradients on
// small shapes; the constraint's weight view [out_ch, in_ch*k*k], on the dense masked and the
// compact (kept output channels) path.
#include <gtest/gtest.h>

#include <memory>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/conv2d.hpp"
#include "test_gradcheck_util.hpp"

namespace bitblock {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;

struct Direct {
  Tensor y, dx, dw;
};

// Direct convolution and its gradients for dy, in double, straight from the definition.
Direct direct_conv(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int pad, const Tensor* dy) {
  const int64_t n_ = x.dim(0), c_ = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t oc_ = w.dim(0), k = w.dim(2);
  const int64_t oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
  Direct r{Tensor({n_, oc_, oh, ow}), Tensor(x.shape()), Tensor(w.shape())};
  std::vector<double> dx(static_cast<size_t>(x.numel()), 0.0), dw(static_cast<size_t>(w.numel()), 0.0);
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t o = 0; o < oc_; ++o)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t yi = ((n * oc_ + o) * oh + oy) * ow + ox;
          double s = b.empty() ? 0.0 : b[o];
          for (int64_t c = 0; c < c_; ++c)
            for (int64_t ky = 0; ky < k; ++ky)
              for (int64_t kx = 0; kx < k; ++kx) {
                const int64_t iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const int64_t xi = ((n * c_ + c) * h + iy) * wd + ix, wi = ((o * c_ + c) * k + ky) * k + kx;
                s += static_cast<double>(x[xi]) * w[wi];
                if (dy) {
                  dx[static_cast<size_t>(xi)] += static_cast<double>((*dy)[yi]) * w[wi];
                  dw[static_cast<size_t>(wi)] += static_cast<double>((*dy)[yi]) * x[xi];
                }
              }
          r.y[yi] = static_cast<float>(s);
        }
  for (int64_t i = 0; i < x.numel(); ++i) r.dx[i] = static_cast<float>(dx[static_cast<size_t>(i)]);
  for (int64_t i = 0; i < w.numel(); ++i) r.dw[i] = static_cast<float>(dw[static_cast<size_t>(i)]);
  return r;
}

void expect_near_all(const Tensor& a, const Tensor& b, double tol, const char* what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  int bad = 0;
  for (int64_t i = 0; i < a.numel() && bad < 5; ++i)
    if (std::fabs(a[i] - b[i]) > tol) {
      ++bad;
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " vs " << b[i];
    }
}

struct ConvCase {
  int64_t n, c, h, w, oc;
  int k, stride, pad;
};

class ConvVsDirect : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvVsDirect, ForwardAndGradientsMatch) {
  const ConvCase p = GetParam();
  Conv2d conv(p.c, p.oc, p.k, p.stride, p.pad);
  Rng rng(10);
  conv.weights()->init(rng);
  for (float& b : conv.weights()->bias().values()) b = rng.uniform(-1.0f, 1.0f);
  const Tensor x = random_tensor({p.n, p.c, p.h, p.w}, rng);
  Context ctx;
  const Tensor y = conv.forward(x, ctx);
  const Tensor dy = random_tensor(y.shape(), rng);
  const Direct ref = direct_conv(x, conv.weights()->weight(), conv.weights()->bias(), p.stride, p.pad, &dy);
  expect_near_all(y, ref.y, 1e-4, "y");
  const Tensor dx = conv.backward(dy);
  expect_near_all(dx, ref.dx, 1e-4, "dx");
  expect_near_all(conv.weights()->weight_grad(), ref.dw, 2e-3, "dw");  // sums over up to 30000 products
  for (int64_t o = 0; o < p.oc; ++o) {
    double s = 0.0;
    const int64_t pixels = y.numel() / (p.n * p.oc);
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t i = 0; i < pixels; ++i) s += dy[(n * p.oc + o) * pixels + i];
    EXPECT_NEAR(conv.weights()->bias_grad()[o], s, 1e-3);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvVsDirect,
    ::testing::Values(ConvCase{2, 3, 5, 4, 4, 3, 1, 0}, ConvCase{2, 2, 7, 6, 3, 3, 2, 1},
                      ConvCase{3, 1, 4, 4, 2, 1, 1, 0}, ConvCase{2, 2, 5, 5, 2, 5, 1, 2},
                      // column matrix 144 x 10000: groups of 2 samples then a single one
                      ConvCase{3, 16, 100, 100, 2, 3, 1, 1},
                      // column matrix 576 x 4096: one sample per group
                      ConvCase{2, 64, 64, 64, 2, 3, 1, 1}));

TEST(Conv2d, GradientsMatchFiniteDifferences) {
  Rng rng(11);
  Conv2d conv(2, 3, 3, 2, 1);
  conv.weights()->init(rng);
  for (float& b : conv.weights()->bias().values()) b = rng.uniform(-0.5f, 0.5f);
  expect_gradients_match(conv, random_tensor({2, 2, 5, 4}, rng));
  Conv2d plain(1, 2, 2, 1, 0, false);
  plain.weights()->init(rng);
  expect_gradients_match(plain, random_tensor({2, 1, 3, 3}, rng));
}

TEST(Conv2d, ShapesMacsAndErrors) {
  Conv2d conv(3, 8, 3, 1, 1);
  EXPECT_EQ(conv.output_shape({3, 32, 32}), (Shape{8, 32, 32}));
  EXPECT_EQ(conv.macs({3, 32, 32}), 8 * 27 * 32 * 32);
  EXPECT_EQ(Conv2d(1, 1, 3, 2, 0).output_shape({1, 7, 8}), (Shape{1, 3, 3}));
  EXPECT_THROW(conv.output_shape({4, 32, 32}), InputError);
  EXPECT_THROW(Conv2d(1, 1, 5).output_shape({1, 3, 3}), InputError);
  EXPECT_THROW(Conv2d(1, 1, 0), InputError);
}

TEST(Conv2d, MaskedConstraintSeesTheFlattenedWeight) {
  ConstraintSpec spec;
  spec.structure = Structure::Row;  // whole output channels dropped
  spec.ratio = 2.0;
  for (KernelChoice kernels : {KernelChoice::Dense, KernelChoice::Kept}) {
    SCOPED_TRACE(to_string(kernels));
    Conv2d conv(2, 4, 3, 1, 1, false, std::make_unique<WeightConstraint>(spec, 4, 18, 3));
    conv.weights()->set_kernels(kernels);
    Rng rng(12);
    conv.weights()->init(rng);
    conv.constraint()->begin_epoch(0, conv.weights()->weight().data());
    const std::vector<uint8_t>& mask = conv.constraint()->mask();
    Tensor masked = conv.weights()->weight();
    for (int64_t i = 0; i < masked.numel(); ++i) masked[i] *= mask[static_cast<size_t>(i)];
    const Tensor x = random_tensor({2, 2, 5, 5}, rng);
    Context ctx;
    const Tensor y = conv.forward(x, ctx);
    const Tensor dy = random_tensor(y.shape(), rng);
    const Direct ref = direct_conv(x, masked, Tensor(), 1, 1, &dy);
    expect_near_all(y, ref.y, 1e-4, "y");
    expect_near_all(conv.backward(dy), ref.dx, 1e-4, "dx");
    for (int64_t i = 0; i < masked.numel(); ++i)
      EXPECT_NEAR(conv.weights()->weight_grad()[i], mask[static_cast<size_t>(i)] ? ref.dw[i] : 0.0f, 1e-4);
    EXPECT_EQ(conv.macs({2, 5, 5}), conv.constraint()->kept() * 25);
  }
}

}  // namespace
}  // namespace bitblock
