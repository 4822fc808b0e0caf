// The tensor-core kernels on the CPU. The binary GEMMs (kernels/bgemm/cuda_tc.cu) run their own
// bodies (tc_binary_body.hpp) on the SIMT emulation (simt_emulation.hpp): a bug in a kernel's
// loop fails here. The block-sparse kernels (kernels/bsgemm/cuda_tc*.cu) are emulated warp by
// warp by a copy of their loops: the same schedules (tc_schedule.hpp), shared-memory staging,
// ldmatrix addresses, tile fields and code expansion (bsr_tiles.hpp, kbit.hpp), the MMA and
// ldmatrix semantics from the PTX tables (warp_emulation.hpp). Each must reproduce the CPU
// reference (exactly, or within the bf16 bound of tc_reference.hpp) and write every output, on
// edge shapes: sizes off every tile, batch 1, empty block-rows, k = 1..4 and 8, non-square blocks
// 8..64, K past the cp.async ring.
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
#include "bitblock/kernels/tc_schedule.hpp"
#include "kernels/kernel_test_data.hpp"
#include "kernels/simt_emulation.hpp"
#include "kernels/tc_reference.hpp"
#include "kernels/warp_emulation.hpp"

namespace bitblock::kernels {
namespace {

constexpr size_t kH200SmemPerBlock = 227 * 1024;  // opt-in shared memory per CTA on sm_90

using testing::kLanes;

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

// Emulates tc_product_kernel (cuda_tc.cu): forward (transposed = false) or input gradient.
std::vector<float> emulate_product(const Problem& p, int64_t M, bool transposed, const TcProductSchedule& s) {
  const BsrLayout& l = p.w.layout;
  const int tr = p.tiles.tiles_r, tc = p.tiles.tiles_c, bits = p.w.bits;
  const float* A = transposed ? p.dY.data() : p.X.data();
  const int64_t lda = transposed ? l.rows : l.cols, a_cols = lda;
  const int depth = transposed ? l.block_rows : l.block_cols;  // reduction extent of a block
  const int tiles_in = depth / kTile;
  const int64_t out_cols = transposed ? l.cols : l.rows;
  const int out_extent = s.out_tiles * kTile;
  const int64_t reduce_cols = (transposed ? l.num_block_rows() : l.num_block_cols()) * depth;
  const std::vector<uint32_t>& stream = transposed ? p.tiles.bwd : p.tiles.fwd;
  // CSR (forward) or CSC (input gradient) lists: entry e -> other slot index and block number.
  const std::vector<int32_t>& ptr = transposed ? p.plan.col_ptr : l.block_row_ptr;
  const std::vector<int32_t>& other = transposed ? p.plan.col_row : l.block_col_idx;
  std::vector<float> out(static_cast<size_t>(M * out_cols), std::numeric_limits<float>::quiet_NaN());
  std::vector<int> writes(out.size(), 0);
  const int rows16 = s.batch_rows();
  const int64_t stride = tc_stage_stride(reduce_cols);
  std::vector<uint16_t> stage(static_cast<size_t>(rows16 * stride));
  for (int64_t cta = 0; cta < s.ctas(); ++cta) {
    const int64_t m_base = s.cta_batch_tile(cta) * rows16;
    for (int r = 0; r < rows16; ++r) {
      for (int64_t c = 0; c < reduce_cols; ++c) {
        const int64_t m = m_base + r;
        const float v = m < M && c < a_cols ? A[m * lda + c] * (transposed ? p.w.row_scales[c] : 1.0f) : 0.0f;
        stage[static_cast<size_t>(r * stride + c)] = testing::bf16_bits(v);
      }
    }
    auto elem = [&](int row, int col) { return stage[static_cast<size_t>(row * stride + col)]; };
    for (int warp = 0; warp < s.warps; ++warp) {
      for (int64_t q = warp; q < s.items_per_cta(); q += s.warps) {
        const TcItem it = s.item(cta, q);
        if (it.tiles == 0) continue;
        std::vector<testing::Acc> acc(static_cast<size_t>(s.m_tiles * s.group), testing::Acc{});
        const int32_t e0 = ptr[it.slot];
        const int total = (ptr[it.slot + 1] - e0) * tiles_in;
        const ProductTileWords tw = product_tile_words(tr, tc, bits, transposed);
        for (int window = 0; window < total; window += 32) {
          const int n = std::min(32, total - window);
          // Lane l's reduction tile window + l: staged column and first code word.
          int lane_col[kLanes] = {}, lane_words[kLanes] = {};
          for (int lane = 0; lane < n; ++lane) {
            const int kq = window + lane, e = e0 + kq / tiles_in, t = kq % tiles_in;
            lane_col[lane] = other[e] * depth + t * kTile;
            const int block = transposed ? p.plan.col_block[e] : e;
            lane_words[lane] = block * tw.per_block + it.first_tile * tw.per_out + t * tw.per_in;
          }
          for (int k = 0; k < n; k += 2) {
            const bool pair = k + 1 < n;
            const int col[2] = {lane_col[k], pair ? lane_col[k + 1] : lane_col[k]};
            const int words[2] = {lane_words[k], pair ? lane_words[k + 1] : lane_words[k]};
            for (int mt = 0; mt < s.m_tiles; ++mt) {
              const auto a = testing::ldmatrix<4>(
                  [&](int lane) { return ldmatrix_a_address(lane, mt * 16, col[0], col[1]); }, elem, false);
              for (int o = 0; o < it.tiles; ++o) {
                std::array<std::array<uint32_t, 2>, kLanes> bf{};
                for (int lane = 0; lane < kLanes; ++lane) {
                  const LaneField f = lane_field(lane, bits);
                  for (int h = 0; h < (pair ? 2 : 1); ++h) {
                    bf[lane][h] = testing::code_pair_operand(read_lane_field(stream.data() + words[h] + o * tw.per_out, f), bits);
                  }
                }
                auto& c = acc[static_cast<size_t>(mt * s.group + o)];
                if (pair) {
                  testing::mma_m16n8k16(c, a, bf);
                } else {
                  testing::mma_m16n8k8(c, a, bf);
                }
              }
            }
          }
        }
        for (int mt = 0; mt < s.m_tiles; ++mt) {
          for (int o = 0; o < it.tiles; ++o) {
            for (int lane = 0; lane < kLanes; ++lane) {
              for (int i = 0; i < 4; ++i) {
                const mma::FragPos pos = mma::m16n8_c(lane, i);
                const int64_t m = m_base + mt * 16 + pos.row;
                const int64_t n = it.slot * out_extent + (it.first_tile + o) * kTile + pos.col;
                if (m >= M || n >= out_cols) continue;
                const double v = acc[static_cast<size_t>(mt * s.group + o)][lane][i];
                out[static_cast<size_t>(m * out_cols + n)] = static_cast<float>(v * (transposed ? 1.0 : p.w.row_scales[n]));
                ++writes[static_cast<size_t>(m * out_cols + n)];
              }
            }
          }
        }
      }
    }
  }
  for (size_t i = 0; i < writes.size(); ++i) EXPECT_EQ(writes[i], 1) << "output " << i << " written " << writes[i] << " times";
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
          expect_within(emulate_product(p, sh.M, transposed, s), want, abs_sum, testing::kBf16OneSide);
        }
      }
    }
  }
}

// Emulates tc_wgrad_kernel (cuda_tc_wgrad.cu) with `splits` batch splits (grid.y): one split
// stores; several store partial sums that sum_splits_kernel adds in split order (here: added into
// a zeroed dW in split order, the same sums).
std::vector<float> emulate_weight_grad(const Problem& p, int64_t M, const WgradSchedule& s, int splits) {
  const BsrLayout& l = p.w.layout;
  std::vector<float> dW(static_cast<size_t>(l.kept_blocks() * l.block_elems()),
                        splits == 1 ? std::numeric_limits<float>::quiet_NaN() : 0.0f);
  std::vector<int> visits(dW.size(), 0);
  const int64_t xs = tc_stage_stride(s.x_cols), ds = tc_stage_stride(s.d_cols);
  std::vector<uint16_t> Xs(static_cast<size_t>(kWgradRows * xs)), Ds(static_cast<size_t>(kWgradRows * ds));
  for (const WgradUnit& u : s.units) {
    for (int split = 0; split < splits; ++split) {
      const int64_t k_first = int64_t{u.block_col_begin} * l.block_cols, n_first = int64_t{u.block_row_begin} * l.block_rows;
      const int64_t x_width = int64_t{u.block_col_end - u.block_col_begin} * l.block_cols;
      const int64_t d_width = int64_t{u.block_row_end - u.block_row_begin} * l.block_rows;
      EXPECT_LE(x_width, s.x_cols);
      EXPECT_LE(d_width, s.d_cols);
      std::vector<std::vector<testing::Acc>> acc(static_cast<size_t>(s.warps),
                                                 std::vector<testing::Acc>(static_cast<size_t>(s.items_per_warp)));
      const int64_t m_end = wgrad_split_begin(M, splits, split + 1);
      for (int64_t m0 = wgrad_split_begin(M, splits, split); m0 < m_end; m0 += kWgradRows) {
        for (int r = 0; r < kWgradRows; ++r) {
          const int64_t m = m0 + r;
          for (int64_t c = 0; c < x_width; ++c) {
            const int64_t k = k_first + c;
            Xs[static_cast<size_t>(r * xs + c)] = testing::bf16_bits(m < m_end && k < l.cols ? p.X[m * l.cols + k] : 0.0f);
          }
          for (int64_t c = 0; c < d_width; ++c) {
            const int64_t n = n_first + c;
            Ds[static_cast<size_t>(r * ds + c)] = testing::bf16_bits(m < m_end && n < l.rows ? p.dY[m * l.rows + n] : 0.0f);
          }
        }
        auto x_elem = [&](int row, int col) { return Xs[static_cast<size_t>(row * xs + col)]; };
        auto d_elem = [&](int row, int col) { return Ds[static_cast<size_t>(row * ds + col)]; };
        for (int w = 0; w < s.warps; ++w) {
          const int32_t first = u.item_begin + w * s.items_per_warp;
          for (int it = 0; it < s.items_per_warp && first + it < u.item_end; ++it) {
            const WgradItem& item = s.items[static_cast<size_t>(first + it)];
            EXPECT_LE(item.x_col[1] + kTile, x_width);
            EXPECT_LE(item.d_col + kTile, d_width);
            for (int ks = 0; ks < kWgradRows / 16; ++ks) {
              const auto a = testing::ldmatrix<4>(
                  [&](int lane) { return ldmatrix_pairs_address(lane, ks * 16, item.x_col[0], item.x_col[1]); }, x_elem,
                  true);
              const auto b = testing::ldmatrix<2>(
                  [&](int lane) { return ldmatrix_bt_address(lane, ks * 16, item.d_col); }, d_elem, true);
              testing::mma_m16n8k16(acc[static_cast<size_t>(w)][static_cast<size_t>(it)], a, b);
            }
          }
        }
      }
      for (int w = 0; w < s.warps; ++w) {
        const int32_t first = u.item_begin + w * s.items_per_warp;
        for (int it = 0; it < s.items_per_warp && first + it < u.item_end; ++it) {
          const WgradItem& item = s.items[static_cast<size_t>(first + it)];
          for (int lane = 0; lane < kLanes; ++lane) {
            for (int i = 0; i < 4; ++i) {
              const WgradTarget t = wgrad_target(item, lane, i, l.block_cols, l.rows, l.cols);
              if (t.index < 0) continue;
              ++visits[static_cast<size_t>(t.index)];
              const auto v = static_cast<float>(acc[static_cast<size_t>(w)][static_cast<size_t>(it)][lane][i]);
              if (splits == 1) {
                dW[static_cast<size_t>(t.index)] = t.in_matrix ? v : 0.0f;
              } else if (t.in_matrix) {
                dW[static_cast<size_t>(t.index)] += v;
              }
            }
          }
        }
      }
    }
  }
  for (size_t i = 0; i < visits.size(); ++i) EXPECT_EQ(visits[i], splits) << "dW entry " << i << " visited " << visits[i] << " times";
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
        expect_within(emulate_weight_grad(p, sh.M, s, splits), want, abs_sum, testing::kBf16TwoSides);
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
