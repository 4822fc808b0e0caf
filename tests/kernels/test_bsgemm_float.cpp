// Float block-sparse training GEMMs: references against dense products of the dequantized
// (masked) weights, every CPU path against the references, within a relative tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "bitblock/kernels/bsgemm.hpp"
#include "kernels/isa_guard.hpp"
#include "kernels/kernel_test_data.hpp"

namespace bitblock::kernels {
namespace {

// Float sums of up to ~1000 terms of magnitude <= 8 vs double-accumulated references: allow
// kRelTol relative to the sum of |terms| bound (sqrt(len) * typical size).
constexpr double kRelTol = 2e-5;

struct Case {
  int64_t M, N, K;
  int br, bc, bits, ratio;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  const Case shapes[] = {{1, 1, 1, 8, 8, 1, 1},      {1, 7, 33, 8, 8, 2, 2},     {7, 33, 7, 16, 8, 3, 1},
                         {13, 100, 784, 8, 16, 4, 4}, {6, 10, 1000, 32, 4, 8, 8}, {33, 64, 64, 64, 64, 1, 1},
                         {20, 129, 70, 8, 8, 3, 16},  {9, 40, 130, 24, 40, 2, 2},
                         {105, 16, 40, 8, 8, 2, 2},   {250, 33, 70, 8, 8, 3, 4},
                         // wide X: the weight gradient runs the batch in several cache-sized chunks
                         {100, 21, 4100, 8, 8, 2, 2}, {70, 12, 9000, 16, 8, 1, 4}};
  for (const Case& s : shapes) out.push_back(s);
  return out;
}

struct Problem {
  BsrWeights w;
  std::vector<float> dense;  // N x K dequantized masked weights
};

Problem make_problem(const Case& c, Rng& rng) {
  const auto codes = testing::random_codes(c.N * c.K, c.bits, rng);
  const auto mask = testing::random_block_mask(c.N, c.K, c.br, c.bc, c.ratio, rng);
  const auto scales = testing::random_floats(c.N, rng);
  Problem p{bsr_pack(codes.data(), mask.data(), c.N, c.K, c.br, c.bc, c.bits, scales.data()), {}};
  const auto masked = testing::masked_dense(codes, mask, c.N, c.K, c.br, c.bc);
  p.dense.resize(masked.size());
  for (int64_t n = 0; n < c.N; ++n) {
    for (int64_t k = 0; k < c.K; ++k) p.dense[n * c.K + k] = masked[n * c.K + k] * scales[n];
  }
  return p;
}

// A problem with its operands X [M, K] and dY [M, N], in rows padded past K and N.
struct Operands {
  Problem p;
  int64_t ldx, ldy;
  std::vector<float> X, dY;
};

Operands make_operands(const Case& c, Rng& rng) {
  Operands o{make_problem(c, rng), c.K + 1, c.N + 2, {}, {}};
  o.X = testing::random_floats(c.M * o.ldx, rng);
  o.dY = testing::random_floats(c.M * o.ldy, rng);
  return o;
}

void expect_close(const float* got, int64_t ldg, const std::vector<double>& want, int64_t rows, int64_t cols,
                  double size) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      ASSERT_NEAR(got[r * ldg + c], want[r * cols + c], kRelTol * size) << r << "," << c;
    }
  }
}

TEST(BsgemmFloat, AllPathsMatchDenseProducts) {
  Rng rng(77);
  for (const Case& c : cases()) {
    SCOPED_TRACE(::testing::Message() << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x" << c.bc
                                      << " bits " << c.bits << " ratio " << c.ratio);
    const Operands o = make_operands(c, rng);
    const Problem& p = o.p;
    const int64_t ldx = o.ldx, ldy = o.ldy;
    const std::vector<float>& X = o.X;
    const std::vector<float>& dY = o.dY;
    // Dense expectations in double.
    std::vector<double> y(static_cast<size_t>(c.M * c.N), 0.0), dx(static_cast<size_t>(c.M * c.K), 0.0),
        dw(static_cast<size_t>(c.N * c.K), 0.0);
    for (int64_t m = 0; m < c.M; ++m) {
      for (int64_t n = 0; n < c.N; ++n) {
        for (int64_t k = 0; k < c.K; ++k) {
          const double w = p.dense[n * c.K + k];
          y[m * c.N + n] += w * X[m * ldx + k];
          dx[m * c.K + k] += w * dY[m * ldy + n];
        }
      }
    }
    std::vector<float> dwmask(static_cast<size_t>(c.N * c.K));
    {
      // Kept positions: scatter of all-ones blocks.
      std::vector<float> ones(static_cast<size_t>(p.w.layout.kept_blocks() * p.w.layout.block_elems()), 1.0f);
      bsr_scatter_blocks(p.w.layout, ones.data(), dwmask.data());
    }
    for (int64_t n = 0; n < c.N; ++n) {
      for (int64_t k = 0; k < c.K; ++k) {
        if (dwmask[n * c.K + k] == 0.0f) continue;
        for (int64_t m = 0; m < c.M; ++m) dw[n * c.K + k] += static_cast<double>(dY[m * ldy + n]) * X[m * ldx + k];
      }
    }
    const double size_y = 8.0 * std::sqrt(static_cast<double>(c.K)) + 1.0;
    const double size_dx = 8.0 * std::sqrt(static_cast<double>(c.N)) + 1.0;
    const double size_dw = std::sqrt(static_cast<double>(c.M)) + 1.0;
    const int64_t kept_vals = p.w.layout.kept_blocks() * p.w.layout.block_elems();
    std::vector<float> got_y(static_cast<size_t>(c.M * ldy)), got_dx(static_cast<size_t>(c.M * ldx)),
        got_dw(static_cast<size_t>(kept_vals)), dense_dw(static_cast<size_t>(c.N * c.K));

    reference::bsgemm_forward(X.data(), c.M, ldx, p.w, got_y.data(), ldy);
    expect_close(got_y.data(), ldy, y, c.M, c.N, size_y);
    reference::bsgemm_backward_input(dY.data(), c.M, ldy, p.w, got_dx.data(), ldx);
    expect_close(got_dx.data(), ldx, dx, c.M, c.K, size_dx);
    reference::bsgemm_backward_weight(dY.data(), c.M, ldy, X.data(), ldx, p.w.layout, got_dw.data());
    bsr_scatter_blocks(p.w.layout, got_dw.data(), dense_dw.data());
    expect_close(dense_dw.data(), c.K, dw, c.N, c.K, size_dw);

    testing::for_each_isa([&](Isa) {
      std::fill(got_y.begin(), got_y.end(), 123.0f);
      bsgemm_forward(X.data(), c.M, ldx, p.w, got_y.data(), ldy);
      expect_close(got_y.data(), ldy, y, c.M, c.N, size_y);
      std::fill(got_dx.begin(), got_dx.end(), 123.0f);
      bsgemm_backward_input(dY.data(), c.M, ldy, p.w, got_dx.data(), ldx);
      expect_close(got_dx.data(), ldx, dx, c.M, c.K, size_dx);
      std::fill(got_dw.begin(), got_dw.end(), 123.0f);
      bsgemm_backward_weight(dY.data(), c.M, ldy, X.data(), ldx, p.w.layout, got_dw.data());
      bsr_scatter_blocks(p.w.layout, got_dw.data(), dense_dw.data());
      expect_close(dense_dw.data(), c.K, dw, c.N, c.K, size_dw);
    });
  }
}

// The SIMD weight gradient is one FMA chain per output over the whole batch in increasing m
// (however the kernel chunks the batch or splits the threads, and when the batch comes in groups
// through bsgemm_backward_weight_add): equal, bit for bit, to that chain written as a plain loop.
TEST(BsgemmFloat, SimdWeightGradientIsOneFmaChainPerOutput) {
  Rng rng(79);
  for (const Case& c : cases()) {
    SCOPED_TRACE(::testing::Message() << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x" << c.bc);
    const Operands o = make_operands(c, rng);
    const Problem& p = o.p;
    const int64_t ldx = o.ldx, ldy = o.ldy;
    const std::vector<float>& X = o.X;
    const std::vector<float>& dY = o.dY;
    const BsrLayout& l = p.w.layout;
    std::vector<float> want(static_cast<size_t>(l.kept_blocks() * l.block_elems()), 0.0f);
    for (int64_t i = 0; i < l.num_block_rows(); ++i) {
      for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
        const int64_t j = l.block_col_idx[b];
        for (int r = 0; r < l.rows_in_block_row(i); ++r) {
          for (int col = 0; col < l.cols_in_block_col(j); ++col) {
            float acc = 0.0f;
            for (int64_t m = 0; m < c.M; ++m) {
              acc = std::fma(dY[m * ldy + i * l.block_rows + r], X[m * ldx + j * l.block_cols + col], acc);
            }
            want[b * l.block_elems() + r * l.block_cols + col] = acc;
          }
        }
      }
    }
    testing::for_each_isa([&](Isa isa) {
      if (isa == Isa::Portable) return;  // multiplies and adds: no FMA on the portable path
      auto expect_chain = [&](const std::vector<float>& got, const char* how) {
        for (size_t k = 0; k < got.size(); ++k) {
          if (std::memcmp(&got[k], &want[k], sizeof(float)) != 0) {
            ADD_FAILURE() << how << ": kept value " << k << ": " << got[k] << " vs " << want[k];
            return;
          }
        }
      };
      std::vector<float> got(want.size(), 123.0f);
      bsgemm_backward_weight(dY.data(), c.M, ldy, X.data(), ldx, l, got.data());
      expect_chain(got, "whole batch");
      // The batch in three groups of rows (a convolution's sample groups): the same chains.
      const int64_t m1 = c.M / 3, m2 = 2 * c.M / 3;
      std::fill(got.begin(), got.end(), 123.0f);
      bsgemm_backward_weight(dY.data(), m1, ldy, X.data(), ldx, l, got.data());
      bsgemm_backward_weight_add(dY.data() + m1 * ldy, m2 - m1, ldy, X.data() + m1 * ldx, ldx, l, got.data());
      bsgemm_backward_weight_add(dY.data() + m2 * ldy, c.M - m2, ldy, X.data() + m2 * ldx, ldx, l, got.data());
      expect_chain(got, "three groups");
    });
  }
}

// The AVX-512 tiles compute each output as the AVX2 tiles do (the same FMA chain), so the two
// paths must agree bit for bit: training on either gives the same run.
TEST(BsgemmFloat, Avx512GivesTheBitsOfAvx2) {
  const Isa saved = active_isa();
  if (set_isa(Isa::Avx512) != Isa::Avx512) {
    set_isa(saved);
    GTEST_SKIP() << "this CPU has no AVX-512";
  }
  Rng rng(78);
  for (const Case& c : cases()) {
    SCOPED_TRACE(::testing::Message() << c.M << "x" << c.N << "x" << c.K << " block " << c.br << "x" << c.bc);
    const Operands o = make_operands(c, rng);
    const Problem& p = o.p;
    const int64_t ldx = o.ldx, ldy = o.ldy;
    const std::vector<float>& X = o.X;
    const std::vector<float>& dY = o.dY;
    const int64_t kept_vals = p.w.layout.kept_blocks() * p.w.layout.block_elems();
    auto run = [&](Isa isa) {
      set_isa(isa);
      std::vector<float> y(static_cast<size_t>(c.M * ldy)), dx(static_cast<size_t>(c.M * ldx)),
          dw(static_cast<size_t>(kept_vals));
      bsgemm_forward(X.data(), c.M, ldx, p.w, y.data(), ldy);
      bsgemm_backward_input(dY.data(), c.M, ldy, p.w, dx.data(), ldx);
      bsgemm_backward_weight(dY.data(), c.M, ldy, X.data(), ldx, p.w.layout, dw.data());
      std::vector<float> all(y);
      all.insert(all.end(), dx.begin(), dx.end());
      all.insert(all.end(), dw.begin(), dw.end());
      return all;
    };
    const auto avx2 = run(Isa::Avx2), avx512 = run(Isa::Avx512);
    ASSERT_EQ(avx2.size(), avx512.size());
    // The same bits, compared as bits (so -0 against +0 or two NaNs would count).
    EXPECT_EQ(0, std::memcmp(avx2.data(), avx512.data(), avx2.size() * sizeof(float)));
  }
  set_isa(saved);
}

}  // namespace
}  // namespace bitblock::kernels
