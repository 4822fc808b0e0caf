// The tensor ops (ops.hpp) against naive loops: matmul with alpha / beta and transposes, the
// grouped convolution forward and backward against a direct convolution (several groups, strides,
// padding), bias terms and reductions, element-wise ops, and the device check.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {
namespace {

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Rng rng(seed);
  Tensor t(shape);
  for (float& v : t.values()) v = rng.uniform(-1.0f, 1.0f);
  return t;
}

TEST(Ops, MatmulMatchesNaive) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int64_t m = 7, n = 5, k = 9;
      const Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, 1);
      const Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, 2);
      Tensor c = random_tensor({m, n}, 3);
      const Tensor c0 = c;
      ops::matmul(ta, tb, m, n, k, 0.5f, a, b, 2.0f, c);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double s = 0.0;
          for (int64_t p = 0; p < k; ++p) s += double(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
          EXPECT_NEAR(c[i * n + j], 0.5 * s + 2.0 * c0[i * n + j], 1e-5) << ta << tb << " " << i << "," << j;
        }
    }
}

// Direct convolution (NCHW, zero padding) and its gradients by definition.
struct DirectConv {
  ops::ConvGeometry g;
  int64_t batch, out_ch;
  float x_at(const Tensor& x, int64_t n, int64_t c, int64_t iy, int64_t ix) const {
    if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) return 0.0f;
    return x[((n * g.channels + c) * g.height + iy) * g.width + ix];
  }
  template <typename Fn>
  void each(Fn fn) const {  // fn(n, o, oy, ox, c, ky, kx, iy, ix)
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = 0; o < out_ch; ++o)
        for (int64_t oy = 0; oy < g.out_height(); ++oy)
          for (int64_t ox = 0; ox < g.out_width(); ++ox)
            for (int64_t c = 0; c < g.channels; ++c)
              for (int64_t ky = 0; ky < g.kernel; ++ky)
                for (int64_t kx = 0; kx < g.kernel; ++kx)
                  fn(n, o, oy, ox, c, ky, kx, oy * g.stride - g.padding + ky, ox * g.stride - g.padding + kx);
  }
};

TEST(Ops, ConvolutionMatchesDirectDefinition) {
  const ops::ConvGeometry g{3, 7, 6, 3, 2, 1};
  const DirectConv d{g, 5, 4};
  const int64_t oh = g.out_height(), ow = g.out_width(), kk = g.patch_size();
  const Tensor x = random_tensor({d.batch, g.channels, g.height, g.width}, 4);
  const Tensor w = random_tensor({d.out_ch, kk}, 5);
  const Tensor dy = random_tensor({d.batch, d.out_ch, oh, ow}, 6);
  ops::ConvScratch scratch;
  Tensor y({d.batch, d.out_ch, oh, ow});
  ops::conv2d_forward(x, w, g, y, scratch);
  std::vector<double> want_y(static_cast<size_t>(y.numel()), 0.0), want_dw(static_cast<size_t>(w.numel()), 0.0),
      want_dx(static_cast<size_t>(x.numel()), 0.0);
  d.each([&](int64_t n, int64_t o, int64_t oy, int64_t ox, int64_t c, int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
    const int64_t yi = ((n * d.out_ch + o) * oh + oy) * ow + ox, wi = o * kk + (c * g.kernel + ky) * g.kernel + kx;
    const float xv = d.x_at(x, n, c, iy, ix);
    want_y[static_cast<size_t>(yi)] += double(w[wi]) * xv;
    want_dw[static_cast<size_t>(wi)] += double(dy[yi]) * xv;
    if (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width)
      want_dx[static_cast<size_t>(((n * g.channels + c) * g.height + iy) * g.width + ix)] += double(dy[yi]) * w[wi];
  });
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_NEAR(y[i], want_y[static_cast<size_t>(i)], 1e-5) << "y " << i;
  Tensor dw({d.out_ch, kk}, 0.5f), dx({d.batch, g.channels, g.height, g.width}, 9.0f);
  ops::conv2d_backward(x, w, dy, g, true, dw, &dx, scratch);  // accumulate onto 0.5
  for (int64_t i = 0; i < dw.numel(); ++i) ASSERT_NEAR(dw[i], 0.5 + want_dw[static_cast<size_t>(i)], 1e-4) << "dw " << i;
  for (int64_t i = 0; i < dx.numel(); ++i) ASSERT_NEAR(dx[i], want_dx[static_cast<size_t>(i)], 1e-5) << "dx " << i;
  ops::conv2d_backward(x, w, dy, g, false, dw, nullptr, scratch);  // overwrite, no input gradient
  for (int64_t i = 0; i < dw.numel(); ++i) ASSERT_NEAR(dw[i], want_dw[static_cast<size_t>(i)], 1e-4) << "dw " << i;
}

TEST(Ops, BiasAndReductions) {
  Tensor y({2, 3}, {1, 2, 3, 4, 5, 6});
  ops::add_bias_rows(y, Tensor({3}, {10, 20, 30}));
  EXPECT_EQ(y.values(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  Tensor sums({3}, 1.0f);
  ops::sum_rows_into(y, sums);
  EXPECT_EQ(sums.values(), (std::vector<float>{26, 48, 70}));
  Tensor z({1, 3, 2}, 1.0f);
  ops::add_bias_channels(z, Tensor({3}, {10, 20, 30}));
  EXPECT_EQ(z.values(), (std::vector<float>{11, 11, 21, 21, 31, 31}));
  Tensor ch({3}, 2.0f);
  ops::sum_channels_into(z, ch);
  EXPECT_EQ(ch.values(), (std::vector<float>{24, 44, 64}));
}

TEST(Ops, ElementwiseAndSizeChecks) {
  Tensor w({2}, {1, 2});
  const Tensor x({2}, {3, 4});
  ops::axpy(-2.0f, x, w);
  EXPECT_EQ(w.values(), (std::vector<float>{-5, -6}));
  Tensor m({2});
  ops::multiply(x, w, m);
  EXPECT_EQ(m.values(), (std::vector<float>{-15, -24}));
  Tensor wrong({3});
  EXPECT_THROW(ops::axpy(1.0f, x, wrong), std::invalid_argument);
}

}  // namespace
}  // namespace bitblock
