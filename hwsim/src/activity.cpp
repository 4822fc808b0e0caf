#include "bitblock/hwsim/activity.hpp"

#include <algorithm>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::hwsim {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

ZeroModel zero_model(const model::Network& net) {
  ZeroModel z;
  for (const model::Stage& s : net.stages) {
    const kernels::BsrLayout& l = s.weights.layout;
    std::vector<int64_t> cols(static_cast<size_t>(l.cols), 0);
    std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
    for (int64_t b = 0; b < l.kept_blocks(); ++b) {
      kernels::bsr_decode_block(s.weights, b, block.data());  // ragged-edge positions decode to 0
      const int64_t c0 = int64_t{l.block_col_idx[static_cast<size_t>(b)]} * l.block_cols;
      for (int r = 0; r < l.block_rows; ++r)
        for (int c = 0; c < l.block_cols; ++c)
          if (block[static_cast<size_t>(r * l.block_cols + c)] != 0) ++cols[static_cast<size_t>(c0 + c)];
    }
    z.column_nonzero_weights.push_back(std::move(cols));
  }
  return z;
}

EventCounts image_stage_events(const model::Network& net, size_t k, const Arch& a, const ZeroModel& z,
                               const EventCounts& base, const int16_t* x, int64_t stride) {
  if (a.zero_gating == ZeroGating::None) return base;
  const model::Stage& s = net.stages[k];
  const kernels::BsrLayout& l = s.weights.layout;
  const int64_t P = s.positions(), K = l.cols;
  EventCounts e = base;
  if (a.zero_gating == ZeroGating::ClockGate) {
    const std::vector<int64_t>& nzw = z.column_nonzero_weights[k];
    e.active_products = 0;
    for (int64_t kk = 0; kk < K; ++kk)
      for (int64_t p = 0; p < P; ++p)
        if (x[kk * stride + p] != 0) e.active_products += nzw[static_cast<size_t>(kk)];
    return e;
  }
  // Skip. Per-block quantities depend only on the number n of nonzero columns: tabulate them.
  const StageStorage st = stage_storage(net, k);
  const int pc = weights_per_cycle(a, s.weights.bits);
  const int pbits = product_bits(base.weight_bits, base.act_bits);
  std::vector<int64_t> cycles_n(static_cast<size_t>(l.block_cols) + 1), updates_n(cycles_n.size()),
      tree_n(cycles_n.size());
  for (int n = 0; n <= l.block_cols; ++n) {
    cycles_n[static_cast<size_t>(n)] = ceil_div(int64_t{l.block_rows} * n, pc);
    updates_n[static_cast<size_t>(n)] = block_row_updates(l.block_rows, n, pc);
    tree_n[static_cast<size_t>(n)] = block_tree_fa(l.block_rows, n, pc, pbits);
  }
  e.macs = e.active_products = e.acc_updates = e.tree_fa = e.mac_cycles = e.weight_reads = 0;
  const int64_t banks = a.act_sram.banks;
  const int64_t buffer_cycles = a.input_buffer ? ceil_div(buffered_act_words(s, st.input_code_bits, a), banks) : 0;
  const int64_t block_code_bits = l.block_elems() * s.weights.bits, word = a.weight_sram.word_bits;
  std::vector<int> nz(static_cast<size_t>(l.num_block_cols()));
  std::vector<char> needed(static_cast<size_t>(l.kept_blocks()));
  for (int64_t p0 = 0; p0 < P; p0 += a.positions_per_pass) {
    std::fill(needed.begin(), needed.end(), 0);
    for (int64_t p = p0; p < std::min(P, p0 + a.positions_per_pass); ++p) {
      std::fill(nz.begin(), nz.end(), 0);
      for (int64_t kk = 0; kk < K; ++kk)
        if (x[kk * stride + p] != 0) ++nz[static_cast<size_t>(kk / l.block_cols)];
      e.mac_cycles += buffer_cycles;
      for (int64_t i = 0; i < l.num_block_rows(); ++i) {
        for (int32_t b = l.block_row_ptr[static_cast<size_t>(i)]; b < l.block_row_ptr[static_cast<size_t>(i) + 1]; ++b) {
          const int32_t j = l.block_col_idx[static_cast<size_t>(b)];
          const auto n = static_cast<size_t>(nz[static_cast<size_t>(j)]);
          const int64_t act_cycles =
              a.input_buffer ? 0 : ceil_div(block_act_words(s, l.cols_in_block_col(j), st.input_code_bits, a), banks);
          e.mac_cycles += std::max(cycles_n[n], act_cycles);
          e.macs += int64_t{l.rows_in_block_row(i)} * static_cast<int64_t>(n);
          e.acc_updates += updates_n[n];
          e.tree_fa += tree_n[n];
          if (n > 0) needed[static_cast<size_t>(b)] = 1;
        }
      }
    }
    // Weight words holding a code of a needed block (blocks follow each other in the stream).
    int64_t last_word = -1;
    for (int64_t b = 0; b < l.kept_blocks(); ++b) {
      if (!needed[static_cast<size_t>(b)]) continue;
      const int64_t first = std::max(last_word + 1, b * block_code_bits / word);
      const int64_t last = ((b + 1) * block_code_bits - 1) / word;
      if (last >= first) e.weight_reads += last - first + 1;
      last_word = std::max(last_word, last);
    }
  }
  e.active_products = e.macs;
  return e;
}

std::vector<std::vector<EventCounts>> image_events(const model::Network& net, const Arch& a,
                                                   const std::vector<EventCounts>& base, const uint8_t* images,
                                                   int64_t count, DatapathResult* hw) {
  std::vector<std::vector<EventCounts>> out(static_cast<size_t>(count), base);
  if (a.zero_gating == ZeroGating::None && !hw) return out;
  const ZeroModel zeros = zero_model(net);
  StageInputObserver observe = nullptr;
  if (a.zero_gating != ZeroGating::None)
    observe = [&](size_t k, int64_t image, const int16_t* x, int64_t stride) {
      out[static_cast<size_t>(image)][k] = image_stage_events(net, k, a, zeros, base[k], x, stride);
    };
  DatapathResult r = run_datapath(net, images, count, observe);
  if (hw) *hw = std::move(r);
  return out;
}

}  // namespace bitblock::hwsim
