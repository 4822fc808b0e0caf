#pragma once
// Test helper: random integer networks with their dense codes kept aside, so tests can compare
// the library against plain loops over dense weights. Shared by the model and hwsim tests.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/codes.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::testing {

struct StageSpec {
  model::OpKind op = model::OpKind::Dense;
  int out = 8;                      // output units / channels
  int kernel = 3, stride = 1, padding = 1;
  int bits = 2;
  int block_rows = 1, block_cols = 1;
  double keep = 1.0;                // probability a block is kept
  model::ActKind act = model::ActKind::Sign;
  int act_bits = 1;
  model::Pool pool;
};

// The fields tests vary most, in one call (kernel, stride, padding and pool keep their defaults).
inline StageSpec stage_spec(model::OpKind op, int out, int bits, int block_rows, int block_cols, double keep,
                            model::ActKind act, int act_bits) {
  StageSpec s;
  s.op = op;
  s.out = out;
  s.bits = bits;
  s.block_rows = block_rows;
  s.block_cols = block_cols;
  s.keep = keep;
  s.act = act;
  s.act_bits = act_bits;
  return s;
}

struct RandomModel {
  model::Network net;
  std::vector<std::vector<int8_t>> dense_codes;  // per stage rows x cols, 0 where dropped
};

inline RandomModel random_model(model::Shape input, model::InputMode mode, const std::vector<StageSpec>& specs,
                                uint64_t seed) {
  Rng rng(seed);
  RandomModel m;
  m.net.dataset = "random";
  m.net.input = input;
  m.net.input_mode = mode;
  m.net.input_scale = 1.0 / 255.0;
  model::Shape cur = input;
  for (size_t k = 0; k < specs.size(); ++k) {
    const StageSpec& sp = specs[k];
    model::Stage s;
    s.name = "s" + std::to_string(k);
    s.op = sp.op;
    s.input = cur;
    s.kernel = sp.kernel;
    s.stride = sp.stride;
    s.padding = sp.padding;
    const int64_t rows = sp.out;
    const int64_t cols = sp.op == model::OpKind::Dense ? cur.size() : int64_t{cur.c} * sp.kernel * sp.kernel;
    std::vector<int8_t> codes(static_cast<size_t>(rows * cols));
    std::vector<uint8_t> mask(codes.size(), 0);
    const int lo = kernels::code_min(sp.bits), hi = kernels::code_max(sp.bits);
    for (int64_t bi = 0; bi * sp.block_rows < rows; ++bi)
      for (int64_t bj = 0; bj * sp.block_cols < cols; ++bj) {
        if (rng.uniform() >= sp.keep) continue;
        for (int64_t r = bi * sp.block_rows; r < std::min<int64_t>(rows, (bi + 1) * sp.block_rows); ++r)
          for (int64_t c = bj * sp.block_cols; c < std::min<int64_t>(cols, (bj + 1) * sp.block_cols); ++c)
            mask[static_cast<size_t>(r * cols + c)] = 1;
      }
    for (size_t i = 0; i < codes.size(); ++i) {
      if (!mask[i]) continue;
      int v = lo + static_cast<int>(rng.below(static_cast<uint32_t>(hi - lo + 1)));
      if (sp.bits == 1) v = rng.below(2) ? 1 : -1;
      codes[i] = static_cast<int8_t>(v);
    }
    s.weights = kernels::bsr_pack(codes.data(), mask.data(), rows, cols, sp.block_rows, sp.block_cols, sp.bits, nullptr);
    s.pool = sp.pool;
    s.act = sp.act;
    s.act_bits = sp.act == model::ActKind::None ? 32 : sp.act_bits;
    // Scale so the pre-activations spread over the activation's levels (the acc spread grows
    // like sqrt(fan-in)); random signs (negative A exercises pooling on acc) and offsets.
    const model::CodeRange in_range =
        k == 0 ? model::input_code_range(mode) : model::activation_code_range(specs[k - 1].act, specs[k - 1].act_bits);
    const double spread = std::sqrt(double(cols)) * std::max(1, in_range.max_abs()) * std::max(1, hi) * 0.5 + 1.0;
    const double levels = sp.act == model::ActKind::Unsigned ? double(1 << sp.act_bits)
                          : sp.act == model::ActKind::Signed ? double(1 << (sp.act_bits - 1)) : 4.0;
    std::vector<double> A(static_cast<size_t>(rows)), B(static_cast<size_t>(rows));
    // Centre z on the activation's middle level: subtract A times the accumulator's mean for
    // inputs at the middle of their range.
    const double mid_x = 0.5 * (in_range.lo + in_range.hi);
    const double mid_level = sp.act == model::ActKind::Unsigned ? 0.5 * levels : 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      double row_sum = 0.0;
      for (int64_t c = 0; c < cols; ++c) row_sum += codes[static_cast<size_t>(r * cols + c)];
      const double sign = rng.uniform() < 0.25 ? -1.0 : 1.0;
      const double a = sign * levels / spread * (0.5 + rng.uniform());
      A[static_cast<size_t>(r)] = a;
      B[static_cast<size_t>(r)] = mid_level - a * row_sum * mid_x + (rng.uniform() - 0.5) * 0.5 * levels;
    }
    m.net.stages.push_back(s);
    m.dense_codes.push_back(codes);
    const int64_t bound = model::accumulator_bound(m.net.stages.back(), in_range);
    const model::Requant rq = model::make_requant(A, B, sp.act, bound);
    m.net.stages.back().mult = rq.mult;
    m.net.stages.back().bias = rq.bias;
    m.net.stages.back().shift = rq.shift;
    cur = m.net.stages.back().output_shape();
  }
  m.net.num_classes = static_cast<int>(cur.size());
  return m;
}

inline std::vector<uint8_t> random_images(int64_t count, int64_t size, uint64_t seed) {
  Rng rng(seed);
  std::vector<uint8_t> v(static_cast<size_t>(count * size));
  for (auto& p : v) p = static_cast<uint8_t>(rng.below(256));
  return v;
}

}  // namespace bitblock::testing
