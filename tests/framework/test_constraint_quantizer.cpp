// Quantizers and straight-through gradients of WeightConstraint against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/constraint.hpp"

namespace bitblock {
namespace {

ConstraintSpec quant_spec(int bits, ScaleMode scale) {
  ConstraintSpec s;
  s.weight_bits = bits;
  s.scale = scale;
  return s;
}

struct Quantized {
  std::vector<float> effective;
  std::vector<int8_t> codes;
  std::vector<float> scales;
};

Quantized run(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<float>& w,
              const std::vector<uint8_t>& mask = {}) {
  WeightConstraint c(spec, rows, cols, 1);
  if (!mask.empty()) c.set_mask(mask);
  Quantized q;
  const Tensor latent({rows, cols}, w);
  Tensor effective({rows, cols});
  c.apply(latent, effective);
  q.effective = effective.values();
  q.codes = c.codes(latent);
  q.scales = c.scales();
  return q;
}

void expect_floats(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "at " << i;
}

void expect_codes(const std::vector<int8_t>& got, const std::vector<int>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(int(got[i]), want[i]) << "at " << i;
}

const std::vector<float> kSmall = {0.5f, -1.0f, 0.25f, 0.0f,   // row 0
                                   2.0f, -0.5f, 0.75f, -1.5f};  // row 1

TEST(ConstraintQuantizer, BinaryPerRowIsSignTimesMeanAbs) {
  // Row means: (0.5+1+0.25+0)/4 = 0.4375, (2+0.5+0.75+1.5)/4 = 1.1875; sign(0) = +1.
  Quantized q = run(quant_spec(1, ScaleMode::PerRow), 2, 4, kSmall);
  expect_floats(q.scales, {0.4375f, 1.1875f});
  expect_codes(q.codes, {1, -1, 1, 1, 1, -1, 1, -1});
  expect_floats(q.effective, {0.4375f, -0.4375f, 0.4375f, 0.4375f, 1.1875f, -1.1875f, 1.1875f, -1.1875f});
}

TEST(ConstraintQuantizer, BinaryPerLayerUsesOneMean) {
  // (1.75 + 4.75) / 8 = 0.8125.
  Quantized q = run(quant_spec(1, ScaleMode::PerLayer), 2, 4, kSmall);
  expect_floats(q.scales, {0.8125f});
  expect_floats(q.effective, {0.8125f, -0.8125f, 0.8125f, 0.8125f, 0.8125f, -0.8125f, 0.8125f, -0.8125f});
}

TEST(ConstraintQuantizer, TwoBitPerRowAndPerLayer) {
  // qmax 1. Per row: s = 1 and 2; 0.5 -> 1 (half away from zero), 0.25 -> 0, -0.25 -> 0.
  Quantized q = run(quant_spec(2, ScaleMode::PerRow), 2, 4, kSmall);
  expect_floats(q.scales, {1.0f, 2.0f});
  expect_codes(q.codes, {1, -1, 0, 0, 1, 0, 0, -1});
  expect_floats(q.effective, {1.0f, -1.0f, 0.0f, 0.0f, 2.0f, 0.0f, 0.0f, -2.0f});
  // Per layer s = 2: -1/2 = -0.5 -> -1, 0.5/2 = 0.25 -> 0.
  q = run(quant_spec(2, ScaleMode::PerLayer), 2, 4, kSmall);
  expect_floats(q.scales, {2.0f});
  expect_codes(q.codes, {0, -1, 0, 0, 1, 0, 0, -1});
  expect_floats(q.effective, {0.0f, -2.0f, 0.0f, 0.0f, 2.0f, 0.0f, 0.0f, -2.0f});
}

TEST(ConstraintQuantizer, ThreeBitLevels) {
  // qmax 3. Row 0: max 3 -> s 1; -1.5 -> -2 (half away), 0.4 -> 0, -2.6 -> -3.
  // Row 1: max 0.75 -> s 0.25; 0.3/0.25 = 1.2 -> 1, -0.45/0.25 = -1.8 -> -2.
  const std::vector<float> w = {3.0f, -1.5f, 0.4f, -2.6f, 0.75f, 0.3f, -0.45f, 0.0f};
  Quantized q = run(quant_spec(3, ScaleMode::PerRow), 2, 4, w);
  expect_floats(q.scales, {1.0f, 0.25f});
  expect_codes(q.codes, {3, -2, 0, -3, 3, 1, -2, 0});
  expect_floats(q.effective, {3.0f, -2.0f, 0.0f, -3.0f, 0.75f, 0.25f, -0.5f, 0.0f});
  // Per layer s = 1: row 1 becomes 1, 0, 0, 0.
  q = run(quant_spec(3, ScaleMode::PerLayer), 2, 4, w);
  expect_floats(q.scales, {1.0f});
  expect_codes(q.codes, {3, -2, 0, -3, 1, 0, 0, 0});
}

TEST(ConstraintQuantizer, FourBitLevels) {
  // qmax 7. Row 0: s 1; 3.5 -> 4, -0.5 -> -1, 1.2 -> 1. Row 1: max 3.5 -> s 0.5; 1.25 -> 2.5 -> 3.
  const std::vector<float> w = {7.0f, 3.5f, -0.5f, 1.2f, -3.5f, 1.25f, 0.2f, 0.0f};
  Quantized q = run(quant_spec(4, ScaleMode::PerRow), 2, 4, w);
  expect_floats(q.scales, {1.0f, 0.5f});
  expect_codes(q.codes, {7, 4, -1, 1, -7, 3, 0, 0});
  expect_floats(q.effective, {7.0f, 4.0f, -1.0f, 1.0f, -3.5f, 1.5f, 0.0f, 0.0f});
  q = run(quant_spec(4, ScaleMode::PerLayer), 2, 4, w);
  expect_floats(q.scales, {1.0f});
  expect_codes(q.codes, {7, 4, -1, 1, -4, 1, 0, 0});
}

TEST(ConstraintQuantizer, EightBitLevels) {
  // qmax 127. Row 0: max 31.75 -> s 0.25; -0.125/0.25 = -0.5 -> -1, 10/0.25 = 40.
  // Row 1: max 127/128 -> s 1/128; 0.5 -> 64, 0.01171875 * 128 = 1.5 -> 2.
  const std::vector<float> w = {31.75f, -0.125f, 10.0f, -31.75f, -0.9921875f, 0.5f, 0.01171875f, 0.0f};
  Quantized q = run(quant_spec(8, ScaleMode::PerRow), 2, 4, w);
  expect_floats(q.scales, {0.25f, 0.0078125f});
  expect_codes(q.codes, {127, -1, 40, -127, -127, 64, 2, 0});
  expect_floats(q.effective, {31.75f, -0.25f, 10.0f, -31.75f, -0.9921875f, 0.5f, 0.015625f, 0.0f});
  // Per layer s 0.25: -0.9921875/0.25 = -3.97 -> -4, 0.5 -> 2, 0.047 -> 0.
  q = run(quant_spec(8, ScaleMode::PerLayer), 2, 4, w);
  expect_floats(q.scales, {0.25f});
  expect_codes(q.codes, {127, -1, 40, -127, -4, 2, 0, 0});
  expect_floats(q.effective, {31.75f, -0.25f, 10.0f, -31.75f, -1.0f, 0.5f, 0.0f, 0.0f});
}

TEST(ConstraintQuantizer, ScalesComeFromKeptWeightsOnly) {
  const std::vector<uint8_t> mask = {0, 1, 1, 1};
  // Binary: mean over kept |-1|, |0.5|, |0| = 0.5; the masked 4.0 is ignored and gives 0.
  Quantized q = run(quant_spec(1, ScaleMode::PerRow), 1, 4, {4.0f, -1.0f, 0.5f, 0.0f}, mask);
  expect_floats(q.scales, {0.5f});
  expect_codes(q.codes, {0, -1, 1, 1});
  expect_floats(q.effective, {0.0f, -0.5f, 0.5f, 0.5f});
  // 2-bit: max kept 1 -> s 1; 0.6 -> 1, 0.4 -> 0.
  q = run(quant_spec(2, ScaleMode::PerLayer), 1, 4, {4.0f, -1.0f, 0.6f, 0.4f}, mask);
  expect_floats(q.scales, {1.0f});
  expect_codes(q.codes, {0, -1, 1, 0});
  expect_floats(q.effective, {0.0f, -1.0f, 1.0f, 0.0f});
}

TEST(ConstraintQuantizer, ZeroRowsAndEmptyRowsGetScaleZero) {
  // Row 0 kept but all zero: binary codes +1 with scale 0. Row 1 fully masked: codes 0.
  const std::vector<float> w = {0.0f, 0.0f, 3.0f, -3.0f};
  Quantized q = run(quant_spec(1, ScaleMode::PerRow), 2, 2, w, {1, 1, 0, 0});
  expect_floats(q.scales, {0.0f, 0.0f});
  expect_codes(q.codes, {1, 1, 0, 0});
  expect_floats(q.effective, {0.0f, 0.0f, 0.0f, 0.0f});
  q = run(quant_spec(4, ScaleMode::PerRow), 2, 2, w, {1, 1, 0, 0});
  expect_floats(q.scales, {0.0f, 0.0f});
  expect_codes(q.codes, {0, 0, 0, 0});
  expect_floats(q.effective, {0.0f, 0.0f, 0.0f, 0.0f});
}

TEST(ConstraintQuantizer, FloatIsMaskedIdentity) {
  ConstraintSpec spec;  // 32 bits
  WeightConstraint c(spec, 1, 4, 1);
  c.set_mask({1, 0, 1, 1});
  const Tensor w({1, 4}, {0.3f, -7.0f, -0.1f, 2.5f});
  Tensor eff({1, 4});
  c.apply(w, eff);
  expect_floats(eff.values(), {0.3f, 0.0f, -0.1f, 2.5f});
  EXPECT_EQ(c.scale_of_row(0), 1.0f);
  EXPECT_THROW(c.codes(w), std::logic_error);
}

// Independent per-element reading of the quantizer definition, in double where it can be.
std::vector<float> reference_quantize(const std::vector<float>& w, const std::vector<uint8_t>& m, int64_t rows,
                                      int64_t cols, int bits, ScaleMode mode) {
  auto row_scale = [&](int64_t r0, int64_t r1) {
    double sum = 0.0, top = 0.0;
    int64_t n = 0;
    for (int64_t i = r0 * cols; i < r1 * cols; ++i)
      if (m[size_t(i)]) {
        sum += std::fabs(double(w[size_t(i)]));
        top = std::max(top, std::fabs(double(w[size_t(i)])));
        ++n;
      }
    if (bits == 1) return n ? float(sum / double(n)) : 0.0f;
    return float(top) / float((1 << (bits - 1)) - 1);
  };
  std::vector<float> out(w.size(), 0.0f);
  float layer = row_scale(0, rows);
  for (int64_t r = 0; r < rows; ++r) {
    float s = mode == ScaleMode::PerLayer ? layer : row_scale(r, r + 1);
    for (int64_t i = r * cols; i < (r + 1) * cols; ++i) {
      if (!m[size_t(i)]) continue;
      float v = w[size_t(i)];
      if (bits == 1) {
        out[size_t(i)] = v < 0.0f ? -s : s;
      } else if (s > 0.0f) {
        double qmax = (1 << (bits - 1)) - 1;
        double q = std::round(double(v / s));
        out[size_t(i)] = float(std::max(-qmax, std::min(qmax, q))) * s;
      }
    }
  }
  return out;
}

TEST(ConstraintQuantizer, LargeMatrixMatchesReferenceAndCodesRoundTrip) {
  // 300 x 301 takes the parallel path; a random element mask exercises masking.
  const int64_t rows = 300, cols = 301;
  Rng rng(7);
  Tensor latent({rows, cols});
  for (float& v : latent.values()) v = rng.normal();
  const std::vector<float>& w = latent.values();
  for (int bits : {1, 2, 3, 4, 8}) {
    for (ScaleMode mode : {ScaleMode::PerRow, ScaleMode::PerLayer}) {
      ConstraintSpec spec = quant_spec(bits, mode);
      spec.structure = Structure::Element;
      spec.ratio = 2.0;
      WeightConstraint c(spec, rows, cols, 3);
      c.begin_epoch(0, latent.data());
      Tensor effective({rows, cols});
      c.apply(latent, effective);
      const std::vector<float>& eff = effective.values();
      std::vector<float> want = reference_quantize(w, c.mask(), rows, cols, bits, mode);
      std::vector<int8_t> codes = c.codes(latent);
      int qmax = bits == 1 ? 1 : (1 << (bits - 1)) - 1;
      int mismatches = 0, bad_codes = 0;
      for (int64_t i = 0; i < rows * cols; ++i) {
        mismatches += eff[size_t(i)] != want[size_t(i)];
        float roundtrip = float(codes[size_t(i)]) * c.scale_of_row(i / cols);
        bad_codes += roundtrip != eff[size_t(i)] || std::abs(int(codes[size_t(i)])) > qmax ||
                     (c.mask()[size_t(i)] == 0 && codes[size_t(i)] != 0);
      }
      EXPECT_EQ(mismatches, 0) << bits << " bits, " << to_string(mode);
      EXPECT_EQ(bad_codes, 0) << bits << " bits, " << to_string(mode);
    }
  }
}

TEST(ConstraintSte, BinaryGradientZeroOutsideMaskAndClip) {
  ConstraintSpec spec = quant_spec(1, ScaleMode::PerRow);
  spec.clip = 1.0f;
  WeightConstraint c(spec, 1, 5, 1);
  c.set_mask({1, 1, 1, 0, 1});
  const Tensor w({1, 5}, {0.5f, -1.5f, 1.0f, -0.2f, -0.99f});
  const Tensor g({1, 5}, {1.0f, 2.0f, 3.0f, 4.0f, -5.0f});
  Tensor out({1, 5});
  c.backward(w, g, out);
  // |-1.5| > clip -> 0; |1.0| == clip passes; masked -> 0.
  expect_floats(out.values(), {1.0f, 0.0f, 3.0f, 0.0f, -5.0f});
}

TEST(ConstraintSte, KBitAndFloatGradientOnlyMasked) {
  for (int bits : {2, 4, 8, 32}) {
    ConstraintSpec spec = quant_spec(bits, ScaleMode::PerRow);
    spec.clip = 1.0f;
    WeightConstraint c(spec, 1, 4, 1);
    c.set_mask({1, 1, 0, 1});
    const Tensor w({1, 4}, {0.5f, -1.5f, 1.0f, 3.0f});
    const Tensor g({1, 4}, {1.0f, 2.0f, 3.0f, 4.0f});
    Tensor out({1, 4});
    c.backward(w, g, out);
    expect_floats(out.values(), {1.0f, 2.0f, 0.0f, 4.0f});
  }
}

TEST(ConstraintSte, AfterStepClampsBinaryOnly) {
  ConstraintSpec spec = quant_spec(1, ScaleMode::PerRow);
  spec.clip = 0.8f;
  WeightConstraint binary(spec, 1, 4, 1);
  Tensor w({1, 4}, {0.5f, -1.0f, 1.0f, -0.2f});
  binary.after_step(w);
  expect_floats(w.values(), {0.5f, -0.8f, 0.8f, -0.2f});
  spec.weight_bits = 4;
  WeightConstraint kbit(spec, 1, 4, 1);
  w = Tensor({1, 4}, {0.5f, -1.0f, 1.0f, -0.2f});
  kbit.after_step(w);
  expect_floats(w.values(), {0.5f, -1.0f, 1.0f, -0.2f});
}

}  // namespace
}  // namespace bitblock
