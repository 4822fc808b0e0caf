// Patch-major im2col: a hand-computed example, the adjoint identity <P(x), q> = <x, P^T(q)>, and
// the CPU versions equal to the references on strided, padded and multi-sample shapes. The
// batched transpose against its reference on every ISA.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/patches.hpp"
#include "bitblock/kernels/transpose.hpp"
#include "kernels/isa_guard.hpp"

namespace bitblock::kernels {
namespace {

TEST(Patches, HandComputedExample) {
  // One 1 x 3 x 3 image, 2 x 2 kernel, stride 1, padding 1: a 4 x 4 output, 16 rows of 4 taps.
  const std::vector<float> image = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const ConvGeometry g{1, 3, 3, 2, 1, 1};
  ASSERT_EQ(g.out_pixels(), 16);
  std::vector<float> p(16 * 4, -1.0f);
  image_to_patches(image.data(), 1, g, p.data(), 4);
  // Row (oy, ox) reads pixels (oy - 1 + ky, ox - 1 + kx).
  EXPECT_EQ(std::vector<float>(p.begin(), p.begin() + 4), (std::vector<float>{0, 0, 0, 1}));        // (0, 0)
  EXPECT_EQ(std::vector<float>(p.begin() + 4, p.begin() + 8), (std::vector<float>{0, 0, 1, 2}));    // (0, 1)
  EXPECT_EQ(std::vector<float>(p.begin() + 20, p.begin() + 24), (std::vector<float>{1, 2, 4, 5}));  // (1, 1)
  EXPECT_EQ(std::vector<float>(p.begin() + 60, p.begin() + 64), (std::vector<float>{9, 0, 0, 0}));  // (3, 3)
  // The same entries from the plain template on integer codes (model/'s im2col).
  const std::vector<int16_t> codes = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int16_t> pc(16 * 4, -1);
  reference::patches_of(codes.data(), 1, g, pc.data(), 4);
  EXPECT_EQ(std::vector<int16_t>(pc.begin() + 20, pc.begin() + 24), (std::vector<int16_t>{1, 2, 4, 5}));
  EXPECT_EQ(std::vector<int16_t>(pc.begin() + 60, pc.begin() + 64), (std::vector<int16_t>{9, 0, 0, 0}));
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(pc[i], static_cast<int16_t>(p[i])) << i;
  // The adjoint of all-ones patches counts how many patch entries read each pixel: 4 each here.
  std::vector<float> ones(16 * 4, 1.0f), counts(9, -1.0f);
  patches_to_image(ones.data(), 4, 1, g, counts.data());
  EXPECT_EQ(counts, std::vector<float>(9, 4.0f));
}

TEST(Patches, AdjointAndReference) {
  struct Case { int64_t n, c, h, w, k, stride, pad, extra_ld; };
  // Batch 1; channels below, at and past the 8-channel work items (1, 3, 8, 9, 13, 32); odd and
  // even sizes with output rows shorter than, equal to and longer than the 8-pixel tiles;
  // padding 0, 1, 2; strides 1, 2, 3; kernels 1, 2, 3, 4, 5 and 7 (> image); padded rows (ld).
  const Case cases[] = {{1, 1, 5, 5, 3, 1, 1, 0},    {3, 2, 7, 6, 3, 2, 1, 3},   {2, 3, 4, 4, 1, 1, 0, 0},
                        {2, 2, 5, 5, 5, 1, 2, 1},    {4, 8, 14, 14, 3, 1, 1, 0}, {70, 4, 12, 12, 3, 1, 1, 0},
                        {2, 3, 9, 8, 4, 3, 2, 2},    {1, 2, 3, 3, 7, 1, 3, 0},   {1, 13, 17, 11, 3, 1, 1, 5},
                        {2, 9, 16, 16, 3, 1, 0, 0},  {1, 32, 8, 8, 3, 1, 1, 0},  {1, 5, 19, 23, 3, 2, 1, 1},
                        {3, 1, 28, 28, 3, 1, 1, 0},  {1, 3, 10, 33, 3, 1, 2, 0}, {2, 16, 9, 9, 2, 1, 0, 3},
                        {1, 11, 15, 15, 5, 2, 2, 0}, {2, 7, 6, 18, 1, 1, 0, 1}};
  Rng rng(5);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.n << "x" << c.c << "x" << c.h << "x" << c.w << " k" << c.k << " s" << c.stride
                                      << " p" << c.pad << " ld+" << c.extra_ld);
    const ConvGeometry g{c.c, c.h, c.w, c.k, c.stride, c.pad};
    const int64_t rows = c.n * g.out_pixels(), ld = g.patch_size() + c.extra_ld;
    std::vector<float> x(static_cast<size_t>(c.n * c.c * c.h * c.w)), q(static_cast<size_t>(rows * ld));
    for (float& v : x) v = rng.uniform(-1.0f, 1.0f);
    for (float& v : q) v = rng.uniform(-1.0f, 1.0f);
    std::vector<float> p_ref(q.size(), 7.0f), xt_ref(x.size());
    reference::image_to_patches(x.data(), c.n, g, p_ref.data(), ld);
    reference::patches_to_image(q.data(), ld, c.n, g, xt_ref.data());
    testing::for_each_isa([&](Isa) {
      std::vector<float> p(q.size(), 7.0f), xt(x.size(), 5.0f);  // 7: the padding columns keep it
      image_to_patches(x.data(), c.n, g, p.data(), ld);
      ASSERT_EQ(p, p_ref);
      patches_to_image(q.data(), ld, c.n, g, xt.data());
      ASSERT_EQ(xt, xt_ref);  // exact: the same additions in the same order
      double lhs = 0.0, rhs = 0.0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < g.patch_size(); ++j) lhs += double{p[r * ld + j]} * q[r * ld + j];
      for (size_t i = 0; i < x.size(); ++i) rhs += double{x[i]} * xt[i];
      EXPECT_NEAR(lhs, rhs, 1e-6 * (1.0 + std::abs(lhs)));
    });
    // Integer codes (model/'s im2col) through the int16 overload.
    std::vector<int16_t> codes(x.size());
    for (size_t i = 0; i < x.size(); ++i) codes[i] = static_cast<int16_t>(x[i] * 1000.0f);
    std::vector<int16_t> pc(q.size(), 7), pc_ref(q.size(), 7);
    image_to_patches(codes.data(), c.n, g, pc.data(), ld);
    reference::patches_of(codes.data(), c.n, g, pc_ref.data(), ld);
    ASSERT_EQ(pc, pc_ref);
  }
}

TEST(Patches, SumsInRowOrder) {
  // Terms whose float sum depends on the order: pixel (1, 1) of a 3 x 3 image with a 3 x 3 kernel,
  // padding 1, is read by all nine output pixels; in row order 1e8 - 1e8 + 1 + ... gives 7, any
  // other start (e.g. 1 + 1e8 first) loses the ones.
  const ConvGeometry g{1, 3, 3, 3, 1, 1};
  std::vector<float> q(9 * 9, 0.0f);
  for (int64_t p = 0; p < 9; ++p) q[p * 9 + (8 - p)] = p == 0 ? 1e8f : p == 1 ? -1e8f : 1.0f;
  testing::for_each_isa([&](Isa) {
    std::vector<float> x(9, -1.0f);
    patches_to_image(q.data(), 9, 1, g, x.data());
    EXPECT_EQ(x[4], 7.0f);
  });
}

TEST(Transpose, HandComputedExample) {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};  // 2 x 3
  testing::for_each_isa([&](Isa) {
    std::vector<float> b(6);
    transpose(a.data(), 1, 2, 3, 3, 6, b.data(), 2, 6);
    EXPECT_EQ(b, (std::vector<float>{1, 4, 2, 5, 3, 6}));
  });
}

TEST(Transpose, MatchesReference) {
  struct Case { int64_t batch, rows, cols, pad; };
  const Case cases[] = {{1, 1, 1, 0}, {1, 8, 8, 0}, {3, 196, 64, 0}, {2, 13, 21, 5}, {40, 100, 32, 0}};
  Rng rng(8);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.batch << " x " << c.rows << "x" << c.cols);
    const int64_t lda = c.cols + c.pad, ldb = c.rows + c.pad;
    const int64_t a_stride = c.rows * lda + 1, b_stride = c.cols * ldb + 2;
    std::vector<float> a(static_cast<size_t>(c.batch * a_stride));
    for (float& v : a) v = rng.uniform(-1.0f, 1.0f);
    std::vector<float> want(static_cast<size_t>(c.batch * b_stride), 3.0f);
    reference::transpose(a.data(), c.batch, c.rows, c.cols, lda, a_stride, want.data(), ldb, b_stride);
    testing::for_each_isa([&](Isa) {
      std::vector<float> got(want.size(), 3.0f);
      transpose(a.data(), c.batch, c.rows, c.cols, lda, a_stride, got.data(), ldb, b_stride);
      ASSERT_EQ(got, want);
    });
  }
}

}  // namespace
}  // namespace bitblock::kernels
