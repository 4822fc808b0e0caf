// Integer inference against plain loops over dense codes (direct convolution, no im2col, no
// packed weights), on random models of every precision, structure, activation, op and pooling.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/ops.hpp"
#include "kernels/isa_guard.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

using model::ActKind;
using model::OpKind;

// Logits of one image from the dense codes and the network definition, computed naively.
std::vector<int64_t> reference_logits(const RandomModel& m, const uint8_t* img) {
  const model::Network& net = m.net;
  std::vector<int64_t> x(static_cast<size_t>(net.input.size()));
  for (size_t i = 0; i < x.size(); ++i) x[i] = net.input_mode == model::InputMode::Pixel ? img[i] : 2 * img[i] - 255;
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const model::Stage& s = net.stages[k];
    const std::vector<int8_t>& W = m.dense_codes[k];
    const int64_t cols = s.weights.layout.cols;
    const int C = s.out_channels();
    int H = 1, Wd = 1;
    std::vector<int64_t> z;
    if (s.op == OpKind::Dense) {
      for (int n = 0; n < C; ++n) {
        int64_t acc = 0;
        for (int64_t i = 0; i < cols; ++i) acc += int64_t{W[static_cast<size_t>(n * cols + i)]} * x[static_cast<size_t>(i)];
        z.push_back(acc * s.mult[static_cast<size_t>(n)] + s.bias[static_cast<size_t>(n)]);
      }
    } else {
      H = (s.input.h + 2 * s.padding - s.kernel) / s.stride + 1;
      Wd = (s.input.w + 2 * s.padding - s.kernel) / s.stride + 1;
      for (int n = 0; n < C; ++n)
        for (int oy = 0; oy < H; ++oy)
          for (int ox = 0; ox < Wd; ++ox) {
            int64_t acc = 0;
            for (int c = 0; c < s.input.c; ++c)
              for (int ky = 0; ky < s.kernel; ++ky)
                for (int kx = 0; kx < s.kernel; ++kx) {
                  const int iy = oy * s.stride + ky - s.padding, ix = ox * s.stride + kx - s.padding;
                  if (iy < 0 || ix < 0 || iy >= s.input.h || ix >= s.input.w) continue;
                  acc += int64_t{W[static_cast<size_t>(n * cols + (c * s.kernel + ky) * s.kernel + kx)]} *
                         x[static_cast<size_t>((c * s.input.h + iy) * s.input.w + ix)];
                }
            z.push_back(acc * s.mult[static_cast<size_t>(n)] + s.bias[static_cast<size_t>(n)]);
          }
    }
    // Pooling (wherever placed) selects the largest z: the activations are non-decreasing in z.
    if (s.pool.size > 0) {
      const int oh = (H - s.pool.size) / s.pool.stride + 1, ow = (Wd - s.pool.size) / s.pool.stride + 1;
      std::vector<int64_t> p;
      for (int n = 0; n < C; ++n)
        for (int oy = 0; oy < oh; ++oy)
          for (int ox = 0; ox < ow; ++ox) {
            int64_t best = INT64_MIN;
            for (int dy = 0; dy < s.pool.size; ++dy)
              for (int dx = 0; dx < s.pool.size; ++dx)
                best = std::max(best, z[static_cast<size_t>((n * H + oy * s.pool.stride + dy) * Wd + ox * s.pool.stride + dx)]);
            p.push_back(best);
          }
      z = p;
    }
    if (s.act == ActKind::None) return z;
    x.assign(z.size(), 0);
    for (size_t i = 0; i < z.size(); ++i) {
      const int64_t q = z[i] >> s.shift;  // g++: arithmetic shift = floor
      if (s.act == ActKind::Sign) x[i] = z[i] >= 0 ? 1 : -1;
      if (s.act == ActKind::Unsigned) x[i] = std::min<int64_t>(std::max<int64_t>(q, 0), (1 << s.act_bits) - 1);
      if (s.act == ActKind::Signed) {
        const int64_t hi = (1 << (s.act_bits - 1)) - 1;
        x[i] = std::min(std::max(q, -hi), hi);
      }
    }
  }
  return {};
}

void expect_matches_reference(const RandomModel& m, int64_t count, uint64_t seed) {
  const std::vector<uint8_t> images = random_images(count, m.net.input.size(), seed);
  const model::InferenceResult r = model::run_inference(m.net, images.data(), count);
  int distinct_classes = 0;
  std::vector<int> seen(static_cast<size_t>(m.net.num_classes), 0);
  std::set<std::vector<int64_t>> distinct_logits;
  for (int64_t i = 0; i < count; ++i) {
    const std::vector<int64_t> ref = reference_logits(m, images.data() + i * m.net.input.size());
    ASSERT_EQ(static_cast<int>(ref.size()), m.net.num_classes);
    int best = 0;
    for (int c = 0; c < m.net.num_classes; ++c) {
      ASSERT_EQ(r.logits[static_cast<size_t>(i * m.net.num_classes + c)], ref[static_cast<size_t>(c)])
          << "image " << i << " class " << c;
      if (ref[static_cast<size_t>(c)] > ref[static_cast<size_t>(best)]) best = c;
    }
    ASSERT_EQ(r.classes[static_cast<size_t>(i)], best) << "image " << i;
    distinct_classes += seen[static_cast<size_t>(best)]++ == 0;
    distinct_logits.insert(ref);
  }
  // Guards against random models so saturated that the comparison proves little.
  EXPECT_GT(distinct_logits.size(), static_cast<size_t>(count / 2)) << "degenerate random model";
  EXPECT_GT(distinct_classes, 1) << "degenerate random model: every image gets the same class";
}

StageSpec dense(int out, int bits, int br, int bc, double keep, ActKind act, int act_bits) {
  return stage_spec(OpKind::Dense, out, bits, br, bc, keep, act, act_bits);
}

TEST(Inference, DenseEveryPrecisionAndStructure) {
  struct Structure {
    int br, bc;
    double keep;
  };
  // none (all kept), element, row (1 x cols), column (rows x 1), block, ragged block.
  const Structure structures[] = {{4, 4, 1.0}, {1, 1, 0.4}, {1, 1000, 0.6}, {1000, 1, 0.5}, {4, 8, 0.5}, {3, 5, 0.5}};
  uint64_t seed = 1;
  for (int bits : {1, 2, 3, 4, 5, 6, 7, 8}) {
    for (const Structure& st : structures) {
      SCOPED_TRACE("bits " + std::to_string(bits) + " block " + std::to_string(st.br) + "x" + std::to_string(st.bc));
      std::vector<StageSpec> specs = {dense(37, bits, st.br, st.bc, st.keep, ActKind::Sign, 1),
                                      dense(23, bits, st.br, st.bc, st.keep, ActKind::Unsigned, 3),
                                      dense(10, bits, st.br, st.bc, st.keep, ActKind::None, 32)};
      const RandomModel m = random_model({1, 7, 9}, model::InputMode::Centered, specs, seed++);
      expect_matches_reference(m, 40, seed);
    }
  }
}

TEST(Inference, ActivationKinds) {
  uint64_t seed = 100;
  for (ActKind act : {ActKind::Sign, ActKind::Unsigned, ActKind::Signed}) {
    for (int a : {1, 2, 4, 8}) {
      if (act == ActKind::Sign && a != 1) continue;
      if (act == ActKind::Signed && a == 1) continue;
      SCOPED_TRACE(std::string(model::to_string(act)) + std::to_string(a));
      std::vector<StageSpec> specs = {dense(31, 3, 2, 4, 0.7, act, a), dense(17, 2, 1, 1, 0.6, act, a),
                                      dense(6, 4, 2, 2, 0.8, ActKind::None, 32)};
      const RandomModel m = random_model({1, 5, 6}, model::InputMode::Pixel, specs, seed++);
      expect_matches_reference(m, 30, seed);
    }
  }
}

TEST(Inference, ConvWithPoolingBothPlacements) {
  uint64_t seed = 200;
  for (model::PoolPlacement placement : {model::PoolPlacement::Acc, model::PoolPlacement::Codes}) {
    for (int bits : {1, 3, 8}) {
      SCOPED_TRACE(std::string(model::to_string(placement)) + " bits " + std::to_string(bits));
      StageSpec c1;
      c1.op = OpKind::Conv;
      c1.out = 6;
      c1.kernel = 3;
      c1.padding = 1;
      c1.bits = bits;
      c1.block_rows = 2;
      c1.block_cols = 3;
      c1.keep = 0.7;
      c1.act = ActKind::Unsigned;
      c1.act_bits = 2;
      c1.pool = {2, 2, placement};
      StageSpec c2 = c1;
      c2.out = 5;
      c2.stride = 2;
      c2.padding = 0;
      c2.kernel = 2;
      c2.act = ActKind::Sign;
      c2.act_bits = 1;
      c2.pool = {};
      StageSpec c3 = c1;  // pooled final conv: logits are pooled z
      c3.out = 4;
      c3.kernel = 1;
      c3.padding = 0;
      c3.act = ActKind::None;
      c3.pool = {2, 1, placement};
      const RandomModel m = random_model({2, 10, 11}, model::InputMode::Centered,
                                         {c1, c2, dense(9, bits, 3, 4, 0.6, ActKind::Signed, 3),
                                          dense(7, bits, 1, 1, 0.8, ActKind::None, 32)},
                                         seed++);
      expect_matches_reference(m, 12, seed);
      const RandomModel all_conv = random_model({2, 9, 9}, model::InputMode::Pixel, {c1, c3}, seed++);
      expect_matches_reference(all_conv, 40, seed);
    }
  }
}

// Binary stages fed by sign codes run on the binary GEMM (with the convolution's zero padding):
// their accumulators equal bsgemm_int's on the traced input codes bit for bit, on every CPU path.
TEST(Inference, BinaryStagesFedBySignsEqualBsgemmInt) {
  StageSpec first;  // 8-bit weights on pixels, into signs
  first.op = OpKind::Conv;
  first.out = 6;
  first.bits = 8;
  first.act = ActKind::Sign;
  first.act_bits = 1;
  StageSpec conv = first;  // binary, padded, ragged 4x5 blocks, pooled
  conv.out = 10;
  conv.bits = 1;
  conv.block_rows = 4;
  conv.block_cols = 5;
  conv.keep = 0.6;
  conv.pool = {2, 2, model::PoolPlacement::Codes};
  const RandomModel m = random_model({3, 8, 9}, model::InputMode::Centered,
                                     {first, conv, dense(70, 1, 8, 8, 0.5, ActKind::Sign, 1), dense(20, 1, 1, 70, 0.5, ActKind::Sign, 1),
                                      dense(5, 1, 1, 1, 1.0, ActKind::None, 32)},
                                     31);
  const int64_t count = 7;
  const std::vector<uint8_t> images = random_images(count, m.net.input.size(), 32);
  kernels::testing::for_each_isa([&](kernels::Isa) {
    std::vector<model::StageTrace> trace;
    model::run_inference(m.net, images.data(), count, &trace);
    for (size_t k = 1; k < m.net.stages.size(); ++k) {
      SCOPED_TRACE("stage " + std::to_string(k));
      const model::Stage& s = m.net.stages[k];
      const int64_t K = s.weights.layout.cols, N = s.weights.layout.rows, P = s.positions();
      const int64_t in_size = s.input.size(), acc_size = s.pre_pool_shape().size();
      ASSERT_EQ(static_cast<int64_t>(trace[k - 1].codes.size()), count * in_size);
      for (int64_t i = 0; i < count; ++i) {
        const int16_t* x = trace[k - 1].codes.data() + i * in_size;
        std::vector<int16_t> cols(static_cast<size_t>(P * K));
        if (s.op == OpKind::Conv) {
          model::im2col(s, x, cols.data());
        } else {
          cols.assign(x, x + in_size);
        }
        std::vector<int32_t> want(static_cast<size_t>(P * N));
        kernels::reference::bsgemm_int(cols.data(), P, K, s.weights, want.data(), N);
        for (int64_t p = 0; p < P; ++p)
          for (int64_t n = 0; n < N; ++n)
            ASSERT_EQ(trace[k].acc[static_cast<size_t>(i * acc_size + n * P + p)], want[static_cast<size_t>(p * N + n)])
                << "image " << i << " unit " << n << " position " << p;
      }
    }
  });
  expect_matches_reference(m, 20, 33);
}

TEST(Inference, TraceHoldsEveryStage) {
  const RandomModel m = random_model({1, 4, 4}, model::InputMode::Pixel,
                                     {dense(8, 2, 1, 1, 1.0, ActKind::Unsigned, 2), dense(3, 2, 1, 1, 1.0, ActKind::None, 32)}, 7);
  const std::vector<uint8_t> images = random_images(3, 16, 8);
  std::vector<model::StageTrace> trace;
  const model::InferenceResult r = model::run_inference(m.net, images.data(), 3, &trace);
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].codes.size(), 3u * 8u);
  EXPECT_EQ(trace[0].acc.size(), 3u * 8u);
  EXPECT_EQ(trace[1].logits, r.logits);
  // Stage 0's accumulator for image 0, unit 0, by hand from the dense codes.
  int64_t acc = 0;
  for (int i = 0; i < 16; ++i) acc += int64_t{m.dense_codes[0][static_cast<size_t>(i)]} * images[static_cast<size_t>(i)];
  EXPECT_EQ(trace[0].acc[0], acc);
}

TEST(Inference, Accuracy) {
  const std::vector<int32_t> classes = {1, 2, 3, 4};
  const uint8_t labels[] = {1, 0, 3, 0};
  EXPECT_DOUBLE_EQ(model::accuracy(classes, labels), 0.5);
}

}  // namespace
}  // namespace bitblock::testing
