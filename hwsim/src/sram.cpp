#include "bitblock/hwsim/sram.hpp"

#include <algorithm>

namespace bitblock::hwsim {

Macros sram_macros(const Arch& a, const Tech& t) {
  auto one = [&](const SramSpec& s) {
    return sram_macro(t, static_cast<double>(s.macro_bytes()), s.word_bits, cell_of(a, s));
  };
  return {one(a.weight_sram), one(a.index_sram), one(a.param_sram), one(a.act_sram)};
}

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Macro indices within a bank [first, last] holding rows [row, row + rows) (rows > 0).
struct Span {
  int64_t first = 0, last = -1;
  bool empty() const { return last < first; }
  int64_t size() const { return empty() ? 0 : last - first + 1; }
  bool contains(int64_t m) const { return m >= first && m <= last; }
};

Span rows_span(const SramSpec& s, int64_t row, int64_t rows) {
  if (rows <= 0) return {};
  const int64_t macro_bits = s.macro_bytes() * 8;
  return {row * s.word_bits / macro_bits, ((row + rows) * s.word_bits - 1) / macro_bits};
}

// Streams stored stage after stage (weights, index, parameters).
std::vector<MemoryUse> stream_use(const SramSpec& s, const std::vector<int64_t>& stage_bits) {
  const int64_t row_bits = int64_t{s.banks} * s.word_bits;
  std::vector<Span> spans;
  int64_t row = 0;
  for (int64_t bits : stage_bits) {
    const int64_t rows = ceil_div(bits, row_bits);
    spans.push_back(rows_span(s, row, rows));
    row += rows;
  }
  std::vector<bool> holds(static_cast<size_t>(s.macros_per_bank), false);
  for (const Span& sp : spans)
    for (int64_t m = sp.first; m <= sp.last && m < s.macros_per_bank; ++m) holds[static_cast<size_t>(m)] = true;
  std::vector<MemoryUse> out;
  for (const Span& sp : spans) {
    MemoryUse u;
    for (int m = 0; m < s.macros_per_bank; ++m) {
      if (sp.contains(m)) {
        u.active += s.banks;
      } else if (holds[static_cast<size_t>(m)]) {
        u.idle_live += s.banks;
        if (u.first_live_idle < 0) u.first_live_idle = m;
      } else {
        u.idle_dead += s.banks;
      }
    }
    out.push_back(u);
  }
  return out;
}

// Ping-pong activation halves: stage k reads half k % 2 from address 0, writes the other half.
MemoryUse act_use(const SramSpec& s, int64_t input_bits, int64_t output_bits) {
  const int64_t row_bits = int64_t{s.banks} * s.word_bits;
  MemoryUse u;
  for (int64_t bits : {input_bits, output_bits})
    u.active += static_cast<int>(std::min<int64_t>(rows_span(s, 0, ceil_div(bits, row_bits)).size(), s.macros_per_bank)) * s.banks;
  u.idle_dead = 2 * s.macros() - u.active;
  return u;
}

}  // namespace

std::vector<StageUse> sram_use(const Arch& a, const model::Network& net) {
  std::vector<int64_t> wb, ib, pb;
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const StageStorage st = stage_storage(net, k);
    wb.push_back(st.weight_bits);
    ib.push_back(st.index_bits);
    pb.push_back(st.param_bits);
  }
  const std::vector<MemoryUse> w = stream_use(a.weight_sram, wb), i = stream_use(a.index_sram, ib),
                               p = stream_use(a.param_sram, pb);
  std::vector<StageUse> out;
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const StageStorage st = stage_storage(net, k);
    out.push_back({w[k], i[k], p[k], act_use(a.act_sram, st.input_bits, st.output_bits)});
  }
  return out;
}

double idle_leakage_factor(IdleMode m, const Tech& t, const std::string& cell, double v) {
  if (m == IdleMode::On) return 1.0;
  if (m == IdleMode::PowerGate) return 0.0;
  const double v_ret = t.retention_fraction * device(t, cell).vdd_v;
  return std::min(1.0, v_ret / v);
}

}  // namespace bitblock::hwsim
