// Dense GEMM and im2col / col2im against hand values: GEMM against a naive triple loop with
// strides, alpha and beta; im2col against its definition; col2im against hand counts, the
// adjoint identity and, on edge shapes, a plain sum in (ky, kx) order bit for bit.
#include <gtest/gtest.h>

#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/conv.hpp"
#include "bitblock/kernels/gemm.hpp"

namespace bitblock::kernels {
namespace {

std::vector<float> random_values(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

struct GemmCase {
  bool ta, tb;
};

class GemmTest : public ::testing::TestWithParam<GemmCase> {};

TEST_P(GemmTest, MatchesNaiveWithStridesAlphaBeta) {
  const auto [ta, tb] = GetParam();
  const int64_t m = 7, n = 5, k = 9;
  // Stored shapes: A is [m, k] or [k, m]; B is [k, n] or [n, k]; all rows padded by 3.
  const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
  const int64_t lda = a_cols + 3, ldb = b_cols + 3, ldc = n + 3;
  std::vector<float> a = random_values(static_cast<size_t>(a_rows * lda), 1);
  std::vector<float> b = random_values(static_cast<size_t>(b_rows * ldb), 2);
  std::vector<float> c = random_values(static_cast<size_t>(m * ldc), 3);
  const std::vector<float> c0 = c;
  const float alpha = 0.5f, beta = 2.0f;
  gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = ta ? a[p * lda + i] : a[i * lda + p];
        const float bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        s += static_cast<double>(av) * bv;
      }
      EXPECT_NEAR(c[i * ldc + j], alpha * s + beta * c0[i * ldc + j], 1e-5) << i << "," << j;
    }
  // The padding between rows is never written.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n; j < ldc; ++j) EXPECT_EQ(c[i * ldc + j], c0[i * ldc + j]);
}

INSTANTIATE_TEST_SUITE_P(AllTransposes, GemmTest,
                         ::testing::Values(GemmCase{false, false}, GemmCase{true, false}, GemmCase{false, true},
                                           GemmCase{true, true}));

TEST(Gemm, ByHandAndZeroInnerDimension) {
  // [2x3] x [3x2] by hand.
  const std::vector<float> a{1, 2, 3, 4, 5, 6}, b{7, 8, 9, 10, 11, 12};
  std::vector<float> c(4, 100.0f);
  gemm(false, false, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{58, 64, 139, 154}));
  std::vector<float> d{1, 2, 3, 4};
  gemm(false, false, 2, 2, 0, 1.0f, a.data(), 3, b.data(), 2, 0.5f, d.data(), 2);
  EXPECT_EQ(d, (std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f}));
}

TEST(Im2col, MatchesDefinitionWithStrideAndPadding) {
  const ConvGeometry g{2, 5, 4, 3, 2, 1};  // C=2, H=5, W=4, k=3, stride 2, pad 1
  ASSERT_EQ(g.out_height(), 3);
  ASSERT_EQ(g.out_width(), 2);
  const std::vector<float> image = random_values(2 * 5 * 4, 4);
  const int64_t ld = g.out_pixels() + 2;
  std::vector<float> cols(static_cast<size_t>(g.patch_size() * ld), -7.0f);
  im2col(image.data(), 1, g, cols.data(), ld);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t ky = 0; ky < 3; ++ky)
      for (int64_t kx = 0; kx < 3; ++kx)
        for (int64_t oy = 0; oy < 3; ++oy)
          for (int64_t ox = 0; ox < 2; ++ox) {
            const int64_t iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
            const float expected = (iy >= 0 && iy < 5 && ix >= 0 && ix < 4) ? image[(c * 5 + iy) * 4 + ix] : 0.0f;
            EXPECT_EQ(cols[((c * 3 + ky) * 3 + kx) * ld + oy * 2 + ox], expected);
          }
  for (int64_t row = 0; row < g.patch_size(); ++row) EXPECT_EQ(cols[row * ld + ld - 1], -7.0f);  // padding kept
}

TEST(Col2im, CountsOverlapsByHand) {
  // 3x3 image, 2x2 kernel, stride 1: each pixel is read by 1 (corners), 2 (edges) or 4 (centre) windows.
  const ConvGeometry g{1, 3, 3, 2, 1, 0};
  std::vector<float> cols(static_cast<size_t>(g.patch_size() * g.out_pixels()), 1.0f);
  std::vector<float> image(9, 99.0f);
  col2im(cols.data(), g.out_pixels(), 1, g, image.data());
  EXPECT_EQ(image, (std::vector<float>{1, 2, 1, 2, 4, 2, 1, 2, 1}));
}

TEST(Col2im, IsTheAdjointOfIm2col) {
  const ConvGeometry g{3, 6, 7, 3, 2, 2};
  const int64_t ld = g.out_pixels();
  const std::vector<float> x = random_values(static_cast<size_t>(3 * 6 * 7), 5);
  const std::vector<float> c = random_values(static_cast<size_t>(g.patch_size() * ld), 6);
  std::vector<float> ax(c.size()), atc(x.size());
  im2col(x.data(), 1, g, ax.data(), ld);
  col2im(c.data(), ld, 1, g, atc.data());
  double lhs = 0.0, rhs = 0.0;
  for (size_t i = 0; i < c.size(); ++i) lhs += static_cast<double>(ax[i]) * c[i];
  for (size_t i = 0; i < x.size(); ++i) rhs += static_cast<double>(x[i]) * atc[i];
  EXPECT_NEAR(lhs, rhs, 1e-4);
}

TEST(Im2col, EdgeShapesMatchDefinitionAndCol2imSumsInKernelOrder) {
  struct Case { int64_t n, c, h, w, k, stride, pad, extra_ld; };
  // Batch 1, 3 and 8; odd and even sizes; padding 0, 1, 2; strides 1, 2, 3; kernel 7 > image.
  const Case cases[] = {{1, 1, 28, 28, 3, 1, 1, 0}, {3, 3, 9, 7, 3, 1, 0, 2}, {2, 5, 11, 13, 3, 2, 1, 1},
                        {1, 2, 6, 6, 5, 1, 2, 0},   {2, 4, 10, 9, 4, 3, 2, 3}, {1, 2, 3, 3, 7, 1, 3, 0},
                        {3, 6, 8, 8, 1, 1, 0, 0},   {8, 32, 28, 28, 3, 1, 1, 1}};  // the last one: in parallel
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.n << "x" << c.c << "x" << c.h << "x" << c.w << " k" << c.k << " s" << c.stride
                                      << " p" << c.pad);
    const ConvGeometry g{c.c, c.h, c.w, c.k, c.stride, c.pad};
    const int64_t pixels = g.out_pixels(), ld = c.n * pixels + c.extra_ld;
    const std::vector<float> x = random_values(static_cast<size_t>(c.n * g.image_size()), 11);
    const std::vector<float> q = random_values(static_cast<size_t>(g.patch_size() * ld), 12);
    std::vector<float> cols(q.size(), -7.0f);
    im2col(x.data(), c.n, g, cols.data(), ld);
    for (int64_t j = 0; j < g.patch_size(); ++j) {
      for (int64_t i = 0; i < c.n; ++i)
        for (int64_t p = 0; p < pixels; ++p) {
          const int64_t at = g.source(p, j);
          ASSERT_EQ(cols[j * ld + i * pixels + p], at < 0 ? 0.0f : x[i * g.image_size() + at]) << j << " " << p;
        }
      for (int64_t e = c.n * pixels; e < ld; ++e) ASSERT_EQ(cols[j * ld + e], -7.0f);
    }
    // Each pixel's terms added in (ky, kx) order, starting from 0.
    std::vector<float> want(x.size(), 0.0f), got(x.size(), 3.0f);
    for (int64_t i = 0; i < c.n; ++i)
      for (int64_t j = 0; j < g.patch_size(); ++j)
        for (int64_t p = 0; p < pixels; ++p) {
          const int64_t at = g.source(p, j);
          if (at >= 0) want[i * g.image_size() + at] += q[j * ld + i * pixels + p];
        }
    col2im(q.data(), ld, c.n, g, got.data());
    ASSERT_EQ(got, want);
  }
}

}  // namespace
}  // namespace bitblock::kernels
