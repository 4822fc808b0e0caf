// The tensor-core kernels' own bodies (tc_binary_body.hpp: bits x bits on b1 and s8, float x
// binary; tc_product_body.hpp: forward and input gradient; tc_wgrad_body.hpp: weight gradient)
// run on the CPU by the SIMT emulation (simt_emulation.hpp: every thread a fiber, every warp
// instruction from the PTX tables), so a bug in a kernel's loop fails here. Each must reproduce
// the CPU reference (exactly, or within the bf16 bound of tc_reference.hpp) and write every
// output, on edge shapes: sizes off every tile, batch 1, empty block-rows, k = 1..4 and 8,
// non-square blocks 8..64, K past the cp.async ring, 1 to 8 batch splits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/pack.hpp"
#include "bitblock/kernels/tc_binary_body.hpp"
#include "bitblock/kernels/tc_product_body.hpp"
#include "bitblock/kernels/tc_wgrad_body.hpp"
#include "bitblock/kernels/tc_schedule.hpp"
#include "kernels/kernel_test_data.hpp"
#include "kernels/simt_emulation.hpp"
#include "kernels/tc_reference.hpp"
#include "kernels/bf16_emulation.hpp"

namespace bitblock::kernels {
namespace {

constexpr size_t kH200SmemPerBlock = 227 * 1024;  // opt-in shared memory per CTA on sm_90


struct Shape {
  int64_t M, N, K;
  int br, bc, bits, ratio;
};
const Shape kShapes[] = {{1, 8, 8, 8, 8, 3, 1},      {17, 40, 70, 8, 8, 1, 2},    {33, 64, 96, 16, 8, 2, 2},
                         {5, 40, 130, 8, 16, 4, 3},  {40, 100, 90, 24, 40, 8, 1}, {16, 64, 64, 64, 64, 3, 1},
                         {70, 129, 257, 32, 16, 2, 4}, {3, 200, 24, 8, 8, 8, 16}};

struct Problem {
  BsrWeights w;
  BsrTiles tiles;
  BsrPlan plan;  // for its block-column (CSC) view
  std::vector<float> X, dY;
};

Problem make_problem(const Shape& s, Rng& rng) {
  Problem p;
  const auto codes = testing::random_codes(s.N * s.K, s.bits, rng);
  const auto mask = testing::random_block_mask(s.N, s.K, s.br, s.bc, s.ratio, rng);
  std::vector<float> scales(static_cast<size_t>(s.N));
  for (auto& v : scales) v = rng.uniform(0.01f, 0.2f);
  p.w = bsr_pack(codes.data(), mask.data(), s.N, s.K, s.br, s.bc, s.bits, scales.data());
  p.tiles = bsr_tiles(p.w);
  p.plan = bsr_plan(p.w);
  p.X = testing::random_floats(s.M * s.K, rng);
  p.dY = testing::random_floats(s.M * s.N, rng);
  return p;
}

// tc_product_kernel's body (tc_product_body.hpp) on the CPU, with the template arguments the
// launcher picks (cuda_tc.cu: kMT = m_tiles, kNT = group, kWide for 8-bit codes).
template <bool kTransposed, int kMT, int kNT>
void launch_product(const tc_body::ProductArgs& a) {
  const auto smem = static_cast<size_t>(tc_body::product_smem_bytes(a, kMT));
  testing::simt_launch(a.s.ctas(), 1, a.s.warps * 32, smem, [&](const testing::SimtThread& th) {
    if (a.bits == 8) {
      tc_body::product_tile<kTransposed, kMT, kNT, true>(th, a);
    } else {
      tc_body::product_tile<kTransposed, kMT, kNT, false>(th, a);
    }
  });
}
template <bool kTransposed, int kMT>
void launch_product_group(const tc_body::ProductArgs& a) {
  if (a.s.group == 1) {
    launch_product<kTransposed, kMT, 1>(a);
  } else {
    launch_product<kTransposed, kMT, 2>(a);
  }
}
template <bool kTransposed>
void launch_product_tiles(const tc_body::ProductArgs& a) {
  if (a.s.m_tiles == 1) {
    launch_product_group<kTransposed, 1>(a);
  } else if (a.s.m_tiles == 2) {
    launch_product_group<kTransposed, 2>(a);
  } else {
    launch_product_group<kTransposed, 4>(a);
  }
}

// Forward (transposed = false) or input gradient into a NaN-poisoned output (every output must be
// written).
std::vector<float> run_product_body(const Problem& p, int64_t M, bool transposed, const TcProductSchedule& s) {
  const BsrLayout& l = p.w.layout;
  const int64_t out_cols = transposed ? l.cols : l.rows;
  std::vector<float> out(static_cast<size_t>(M * out_cols), std::numeric_limits<float>::quiet_NaN());
  tc_body::ProductArgs a = tc_body::product_args(
      l, p.w.bits, transposed, transposed ? p.dY.data() : p.X.data(), M, transposed ? l.rows : l.cols,
      transposed ? p.plan.col_ptr.data() : l.block_row_ptr.data(),
      transposed ? p.plan.col_row.data() : l.block_col_idx.data(), transposed ? p.plan.col_block.data() : nullptr,
      p.w.row_scales.data(), transposed ? p.tiles.bwd.data() : p.tiles.fwd.data(), out.data(), out_cols);
  a.s = s;
  if (transposed) {
    launch_product_tiles<true>(a);
  } else {
    launch_product_tiles<false>(a);
  }
  return out;
}

void expect_within(const std::vector<float>& got, const std::vector<float>& want, const std::vector<double>& abs_sum,
                   double rel) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_LE(std::fabs(double(got[i]) - want[i]), rel * abs_sum[i] + 1e-30) << "output " << i;
  }
}

TEST(TcEmulation, ForwardAndInputGradientMatchTheReference) {
  Rng rng(21);
  for (const Shape& sh : kShapes) {
    const Problem p = make_problem(sh, rng);
    const BsrLayout& l = p.w.layout;
    const auto wd = testing::dense_dequantized(p.w);
    for (bool transposed : {false, true}) {
      std::vector<float> want(static_cast<size_t>(sh.M * (transposed ? sh.K : sh.N)));
      if (transposed) {
        reference::bsgemm_backward_input(p.dY.data(), sh.M, sh.N, p.w, want.data(), sh.K);
      } else {
        reference::bsgemm_forward(p.X.data(), sh.M, sh.K, p.w, want.data(), sh.N);
      }
      const auto abs_sum = testing::abs_product(transposed ? p.dY.data() : p.X.data(), sh.M, transposed ? sh.N : sh.K,
                                                wd, sh.N, sh.K, transposed);
      const int64_t slots = transposed ? l.num_block_cols() : l.num_block_rows();
      const int out_tiles = (transposed ? l.block_cols : l.block_rows) / kTile;
      for (int m_tiles : {1, 2, 4}) {
        for (int group : {1, 2}) {
          SCOPED_TRACE(::testing::Message() << sh.M << "x" << sh.N << "x" << sh.K << " block " << sh.br << "x" << sh.bc
                                            << " bits " << sh.bits << (transposed ? " input-grad" : " forward")
                                            << " m_tiles " << m_tiles << " group " << group);
          const TcProductSchedule s = tc_product_schedule(sh.M, slots, out_tiles, m_tiles, group, 4, 3, 2);
          expect_within(run_product_body(p, sh.M, transposed, s), want, abs_sum, testing::kBf16OneSide);
        }
      }
    }
  }
}

// tc_wgrad_kernel's body (tc_wgrad_body.hpp) on the CPU with `splits` batch splits (block_y):
// one split stores into a NaN-poisoned dW; several store partial sums (poisoned slices) that
// sum_splits_kernel adds in split order, as here. Every entry must be written.
std::vector<float> run_weight_grad_body(const Problem& p, int64_t M, const WgradSchedule& s, int splits) {
  const BsrLayout& l = p.w.layout;
  const int64_t elems = l.kept_blocks() * l.block_elems();
  std::vector<float> dW(static_cast<size_t>(elems), std::numeric_limits<float>::quiet_NaN());
  std::vector<float> partials(static_cast<size_t>(elems * splits), std::numeric_limits<float>::quiet_NaN());
  const tc_body::WgradArgs a = tc_body::wgrad_args(l, s, p.dY.data(), M, l.rows, p.X.data(), l.cols, s.units.data(),
                                                   s.items.data(), dW.data(), partials.data(), splits);
  testing::simt_launch(static_cast<int64_t>(s.units.size()), splits, s.warps * 32, wgrad_smem_bytes(s),
                       [&](const testing::SimtThread& th) { tc_body::wgrad_tile(th, a); });
  if (splits > 1) {
    for (int64_t i = 0; i < elems; ++i) {
      float sum = partials[static_cast<size_t>(i)];
      for (int k = 1; k < splits; ++k) sum += partials[static_cast<size_t>(k * elems + i)];
      dW[static_cast<size_t>(i)] = sum;
    }
  }
  return dW;
}

TEST(TcEmulation, WeightGradientMatchesTheReference) {
  Rng rng(22);
  for (const Shape& sh : kShapes) {
    const Problem p = make_problem(sh, rng);
    const BsrLayout& l = p.w.layout;
    std::vector<float> want(static_cast<size_t>(l.kept_blocks() * l.block_elems()));
    reference::bsgemm_backward_weight(p.dY.data(), sh.M, sh.N, p.X.data(), sh.K, l, want.data());
    const auto abs_sum = testing::abs_weight_grad(p.dY.data(), sh.M, sh.N, p.X.data(), sh.K, l);
    for (int sms : {1, 4, 132}) {
      for (int splits : {1, 2, 3, kMaxWgradSplits}) {
        SCOPED_TRACE(::testing::Message() << sh.M << "x" << sh.N << "x" << sh.K << " block " << sh.br << "x" << sh.bc
                                          << " sms " << sms << " splits " << splits);
        const WgradSchedule s = wgrad_schedule(l, sms, kH200SmemPerBlock);
        expect_within(run_weight_grad_body(p, sh.M, s, splits), want, abs_sum, testing::kBf16TwoSides);
      }
    }
  }
}

// ---- Binary GEMMs (kernels/bgemm/cuda_tc.cu) ----------------------------------------------

struct BinaryData {
  int64_t M, N, K, words;
  std::vector<float> a, b, scales;
  std::vector<uint64_t> A, B;
};

BinaryData binary_data(int64_t M, int64_t N, int64_t K, Rng& rng) {
  BinaryData d{M, N, K, sign_words(K), testing::random_floats(M * K, rng), testing::random_floats(N * K, rng), {}, {}, {}};
  d.scales.resize(static_cast<size_t>(N));
  for (auto& v : d.scales) v = rng.uniform(0.01f, 0.2f);
  d.A.resize(static_cast<size_t>(M * d.words));
  d.B.resize(static_cast<size_t>(N * d.words));
  reference::pack_signs(d.a.data(), M, K, K, d.A.data());
  reference::pack_signs(d.b.data(), N, K, K, d.B.data());
  return d;
}

// tc_binary_kernel's body (tc_binary_body.hpp) on the CPU: the b1 AND-popc path (b1 = true) or
// the s8 path, into a poisoned C with a padded row stride (every output must be written).
std::vector<int32_t> run_binary_body(const BinaryData& d, bool b1, int64_t ldc) {
  std::vector<int32_t> C(static_cast<size_t>(d.M * ldc), 0x7f7f7f7f);
  const tc_body::BinaryArgs args{d.A.data(), d.M, d.B.data(), d.N, d.K, C.data(), ldc, ldc % 2 == 0};
  testing::simt_launch((d.M + kBinTile - 1) / kBinTile, (d.N + kBinTile - 1) / kBinTile, tc_body::kBinThreads,
                       tc_body::kBinSmemBytes, [&](const testing::SimtThread& th) {
                         if (b1) {
                           tc_body::binary_tile<true>(th, args);
                         } else {
                           tc_body::binary_tile<false>(th, args);
                         }
                       });
  return C;
}

TEST(TcEmulation, WeightGradientBatchSplitsCoverTheBatchOnce) {
  for (int64_t M : {0, 1, 31, 32, 33, 100, 255, 256, 1000, 1025}) {
    for (int splits : {1, 2, 3, kMaxWgradSplits}) {
      EXPECT_EQ(wgrad_split_begin(M, splits, 0), 0);
      EXPECT_EQ(wgrad_split_begin(M, splits, splits), M);
      for (int s = 0; s < splits; ++s) {
        const int64_t b = wgrad_split_begin(M, splits, s), e = wgrad_split_begin(M, splits, s + 1);
        EXPECT_LE(b, e);
        if (b < e) {
          EXPECT_EQ(b % kWgradRows, 0);  // a split starts on a whole step
        }
      }
    }
  }
  EXPECT_EQ(wgrad_batch_splits(100, 1000, 132), 3);               // 264 CTAs wanted
  EXPECT_EQ(wgrad_batch_splits(300, 1000, 132), 1);               // the units fill the GPU
  EXPECT_EQ(wgrad_batch_splits(100, 100, 132), 1);                // 4 steps: too few to split
  EXPECT_EQ(wgrad_batch_splits(10, 100000, 132), kMaxWgradSplits);  // a small conv layer
  EXPECT_EQ(wgrad_batch_splits(10, 320, 132), 2);                 // 10 steps: 2 splits of 4+
  EXPECT_EQ(wgrad_batch_splits(0, 1000, 132), 1);
}

TEST(TcEmulation, BinaryGemmOnB1AndS8MatchesTheReference) {
  Rng rng(23);
  // K past 3 stages of 256 bits runs the cp.async ring round (1100: 5 stages, 2049: 9).
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 33, 7}, {33, 10, 300}, {130, 129, 513}, {20, 140, 64}, {9, 20, 1100},
                               {1, 3, 2049}};
  for (const auto& sh : shapes) {
    const BinaryData d = binary_data(sh[0], sh[1], sh[2], rng);
    for (int64_t ldc : {d.N, d.N + 1}) {  // pairs stored at once (even ldc) or one by one
      std::vector<int32_t> want(static_cast<size_t>(d.M * ldc), 0x7f7f7f7f);
      reference::bgemm_binary(d.A.data(), d.M, d.B.data(), d.N, d.K, want.data(), ldc);
      EXPECT_EQ(run_binary_body(d, true, ldc), want) << "b1 " << d.M << "x" << d.N << "x" << d.K << " ldc " << ldc;
      EXPECT_EQ(run_binary_body(d, false, ldc), want) << "s8 " << d.M << "x" << d.N << "x" << d.K << " ldc " << ldc;
    }
  }
}

// tc_float_binary_kernel's body on the CPU, into a NaN-poisoned Y (every output must be written).
std::vector<float> run_float_binary_body(const BinaryData& d) {
  std::vector<float> Y(static_cast<size_t>(d.M * d.N), std::numeric_limits<float>::quiet_NaN());
  const tc_body::FloatBinaryArgs args{d.a.data(), d.M, d.K,    d.B.data(), d.N,          d.K,
                                      d.scales.data(), Y.data(), d.N, d.K % 4 == 0, d.N % 2 == 0};
  testing::simt_launch((d.M + kBinTile - 1) / kBinTile, (d.N + kBinTile - 1) / kBinTile, tc_body::kBinThreads,
                       tc_body::kFbSmemBytes,
                       [&](const testing::SimtThread& th) { tc_body::float_binary_tile(th, args); });
  return Y;
}

TEST(TcEmulation, FloatBinaryGemmOnBf16MatchesTheReference) {
  Rng rng(24);
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 33, 7}, {33, 10, 300}, {130, 129, 97}};
  for (const auto& sh : shapes) {
    const BinaryData d = binary_data(sh[0], sh[1], sh[2], rng);
    std::vector<float> want(static_cast<size_t>(d.M * d.N));
    reference::bgemm_float_binary(d.a.data(), d.M, d.K, d.B.data(), d.N, d.K, d.scales.data(), want.data(), d.N);
    std::vector<double> abs_sum(want.size());
    for (int64_t m = 0; m < d.M; ++m) {
      double row = 0.0;
      for (int64_t k = 0; k < d.K; ++k) row += std::fabs(double(d.a[m * d.K + k]));
      for (int64_t n = 0; n < d.N; ++n) abs_sum[m * d.N + n] = row * d.scales[n];
    }
    SCOPED_TRACE(::testing::Message() << d.M << "x" << d.N << "x" << d.K);
    expect_within(run_float_binary_body(d), want, abs_sum, testing::kBf16OneSide);
  }
}

}  // namespace
}  // namespace bitblock::kernels
