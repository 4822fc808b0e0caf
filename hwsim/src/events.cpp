#include "bitblock/hwsim/events.hpp"

#include <algorithm>

#include "bitblock/hwsim/tech.hpp"

namespace bitblock::hwsim {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Per-stage widths shared by both counters.
EventCounts stage_base(const model::Network& net, size_t k, const Arch& a) {
  const model::Stage& s = net.stages[k];
  const StageStorage st = stage_storage(net, k);
  EventCounts e;
  e.weight_bits = s.weights.bits;
  e.act_bits = st.mult_act_bits;
  e.pool_bits = s.pool.placement == model::PoolPlacement::Acc ? a.accumulator_bits
                : s.act == model::ActKind::None                 ? 64
                                                                : s.act_bits;
  return e;
}

void add_outputs(const model::Network& net, size_t k, const Arch& a, EventCounts& e) {
  const model::Stage& s = net.stages[k];
  const StageStorage st = stage_storage(net, k);
  const model::Shape out = s.output_shape();
  const int64_t N = s.out_channels();
  const bool acc_pool = s.pool.active() && s.pool.placement == model::PoolPlacement::Acc;
  e.requants = N * (acc_pool ? int64_t{out.h} * out.w : s.positions());
  e.requant_cycles = e.requants;
  if (s.pool.active()) e.pool_compares = out.size() * (int64_t{s.pool.size} * s.pool.size - 1);
  if (k + 1 == net.stages.size()) {
    e.output_reg_bits = out.size() * 64;
  } else {
    e.act_writes = ceil_div(st.output_bits, a.act_sram.word_bits);
  }
  if (k == 0) {
    const int64_t load_words = ceil_div(net.input.size() * 8, a.act_sram.word_bits);
    e.act_writes += load_words;
    e.load_cycles = ceil_div(load_words, a.act_sram.banks);
  }
}
}  // namespace

int64_t block_act_words(const model::Stage& s, int cols, int code_bits, const Arch& a) {
  return s.op == model::OpKind::Dense ? ceil_div(int64_t{cols} * code_bits, a.act_sram.word_bits) : cols;
}

// Dense: the K contiguous codes; conv: one read run per filter row (kw x Cin codes contiguous
// per row in the activation layout the buffer assumes).
int64_t buffered_act_words(const model::Stage& s, int code_bits, const Arch& a) {
  if (s.op == model::OpKind::Dense) return ceil_div(s.weights.layout.cols * code_bits, a.act_sram.word_bits);
  return int64_t{s.kernel} * ceil_div(int64_t{s.kernel} * s.input.c * code_bits, a.act_sram.word_bits);
}

bool EventCounts::operator==(const EventCounts& o) const {
  return weight_reads == o.weight_reads && index_reads == o.index_reads && param_reads == o.param_reads &&
         act_reads == o.act_reads && act_writes == o.act_writes && macs == o.macs &&
         active_products == o.active_products && acc_updates == o.acc_updates &&
         operand_bits == o.operand_bits && requants == o.requants && pool_compares == o.pool_compares &&
         output_reg_bits == o.output_reg_bits && mac_cycles == o.mac_cycles && requant_cycles == o.requant_cycles &&
         load_cycles == o.load_cycles && tree_fa == o.tree_fa && weight_bits == o.weight_bits &&
         act_bits == o.act_bits && pool_bits == o.pool_bits;
}

int weights_per_cycle(const Arch& a, int weight_bits) {
  return std::max(1, std::min(a.lanes, a.weight_sram.banks * a.weight_sram.word_bits / weight_bits));
}

int product_bits(int weight_bits, int act_bits) {
  return weight_bits == 1 && act_bits == 1 ? 1 : weight_bits + act_bits;
}

int64_t block_tree_fa(int block_rows, int block_cols, int pc, int product_bits) {
  const int64_t E = int64_t{block_rows} * block_cols;
  int64_t fa = 0;
  for (int64_t first = 0; first < E; first += pc) {
    const int64_t end = std::min(E, first + pc);
    for (int64_t row_start = first; row_start < end;) {
      const int64_t row_end = std::min(end, (row_start / block_cols + 1) * block_cols);
      fa += adder_tree_fa(static_cast<int>(row_end - row_start), product_bits);
      row_start = row_end;
    }
  }
  return fa;
}

int64_t block_row_updates(int block_rows, int block_cols, int pc) {
  const int64_t E = int64_t{block_rows} * block_cols;
  int64_t updates = 0;
  for (int64_t first = 0; first < E; first += pc) {
    const int64_t last = std::min(E, first + pc) - 1;
    updates += last / block_cols - first / block_cols + 1;
  }
  return updates;
}

std::vector<EventCounts> count_events(const model::Network& net, const Arch& a) {
  std::vector<EventCounts> out;
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const model::Stage& s = net.stages[k];
    const kernels::BsrLayout& l = s.weights.layout;
    const StageStorage st = stage_storage(net, k);
    EventCounts e = stage_base(net, k, a);
    const int pc = weights_per_cycle(a, s.weights.bits);
    const int64_t P = s.positions(), E = l.block_elems();
    const int64_t weight_cycles = ceil_div(E, pc);
    const int64_t updates = block_row_updates(l.block_rows, l.block_cols, pc);
    const int64_t tree = block_tree_fa(l.block_rows, l.block_cols, pc, product_bits(e.weight_bits, e.act_bits));
    // Per position: sums over kept blocks of the column-dependent quantities.
    int64_t act_words = 0, block_cycles = 0, operand_bits = 0;
    if (a.input_buffer) {
      act_words = buffered_act_words(s, st.input_code_bits, a);
      block_cycles = ceil_div(act_words, a.act_sram.banks) + weight_cycles * l.kept_blocks();
      operand_bits = l.cols * st.input_code_bits;
    } else {
      for (int32_t b = 0; b < l.kept_blocks(); ++b) {
        const int cols = l.cols_in_block_col(l.block_col_idx[b]);
        const int64_t words = block_act_words(s, cols, st.input_code_bits, a);
        act_words += words;
        block_cycles += std::max(weight_cycles, ceil_div(words, a.act_sram.banks));
        operand_bits += int64_t{cols} * st.input_code_bits;
      }
    }
    e.macs = model::kept_in_matrix_elements(l) * P;
    e.active_products = e.macs;
    e.mac_cycles = block_cycles * P;
    e.acc_updates = updates * l.kept_blocks() * P;
    e.tree_fa = tree * l.kept_blocks() * P;
    e.act_reads = act_words * P;
    // Each pass over the weights serves positions_per_pass output positions; a pass serving more
    // than one holds each kept block's codes in registers for its positions.
    const int64_t Q = a.positions_per_pass, passes = ceil_div(P, Q);
    const int64_t latched = (Q > 1 ? P / Q : 0) + (P % Q > 1 ? 1 : 0);  // passes of more than one position
    e.operand_bits = operand_bits * P + st.weight_bits * latched;
    e.weight_reads = ceil_div(st.weight_bits, a.weight_sram.word_bits) * passes;
    e.index_reads = ceil_div(st.index_bits, a.index_sram.word_bits) * passes;
    e.param_reads = ceil_div(st.param_bits, a.param_sram.word_bits) * passes;
    add_outputs(net, k, a, e);
    out.push_back(e);
  }
  return out;
}

namespace {
// Reads of a sequential stream: a new word is read whenever the cursor enters one.
struct Stream {
  int64_t word_bits, bits = 0, reads = 0;
  void take(int64_t n) {
    bits += n;
    while (reads * word_bits < bits) ++reads;
  }
};
}  // namespace

std::vector<EventCounts> walk_events(const model::Network& net, const Arch& a) {
  std::vector<EventCounts> out;
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const model::Stage& s = net.stages[k];
    const kernels::BsrLayout& l = s.weights.layout;
    const StageStorage st = stage_storage(net, k);
    EventCounts e = stage_base(net, k, a);
    const int pc = weights_per_cycle(a, s.weights.bits);
    const int pbits = product_bits(e.weight_bits, e.act_bits);
    const int64_t E = l.block_elems();
    const int64_t P = s.positions(), Q = a.positions_per_pass;
    for (int64_t p0 = 0; p0 < P; p0 += Q) {  // one pass over the weights serves positions p0 .. p0 + Q - 1
      const int64_t group = std::min(Q, P - p0);
      Stream w{a.weight_sram.word_bits}, idx{a.index_sram.word_bits}, par{a.param_sram.word_bits};
      const bool indexed = st.index_bits > 0;
      if (a.input_buffer) {  // each position's inputs read once into the buffer
        const int64_t words = buffered_act_words(s, st.input_code_bits, a);
        e.act_reads += words * group;
        e.operand_bits += l.cols * st.input_code_bits * group;
        e.mac_cycles += (words + a.act_sram.banks - 1) / a.act_sram.banks * group;
      }
      if (indexed) idx.take(st.index_ptr_bits);  // row_ptr[0]
      for (int64_t i = 0; i < l.num_block_rows(); ++i) {
        if (indexed) idx.take(st.index_ptr_bits);  // row_ptr[i + 1]
        for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
          if (indexed) idx.take(st.index_col_bits);
          const int cols_in = l.cols_in_block_col(l.block_col_idx[b]);
          const int64_t words = a.input_buffer ? 0 : block_act_words(s, cols_in, st.input_code_bits, a);
          if (group > 1) e.operand_bits += E * s.weights.bits;  // the block's codes held for the group
          for (int64_t q = 0; q < group; ++q) {
            e.act_reads += words;
            if (!a.input_buffer) e.operand_bits += int64_t{cols_in} * st.input_code_bits;
            int64_t cycles = 0;
            for (int64_t first = 0; first < E; first += pc) {  // one cycle of the lanes
              ++cycles;
              int last_row = -1, in_row = 0;
              for (int64_t el = first; el < std::min(E, first + pc); ++el) {
                const int r = static_cast<int>(el / l.block_cols), c = static_cast<int>(el % l.block_cols);
                if (q == 0) w.take(s.weights.bits);
                if (r < l.rows_in_block_row(i) && c < cols_in) ++e.macs;
                if (r != last_row) {
                  ++e.acc_updates;
                  if (in_row > 0) e.tree_fa += adder_tree_fa(in_row, pbits);
                  in_row = 0;
                }
                ++in_row;
                last_row = r;
              }
              e.tree_fa += adder_tree_fa(in_row, pbits);
            }
            const int64_t act_cycles = (words + a.act_sram.banks - 1) / a.act_sram.banks;
            e.mac_cycles += std::max(cycles, act_cycles);
          }
        }
      }
      for (int64_t c = 0; c < l.rows; ++c) par.take(96);
      e.weight_reads += w.reads;
      e.index_reads += idx.reads;
      e.param_reads += par.reads;
    }
    e.active_products = e.macs;
    add_outputs(net, k, a, e);
    out.push_back(e);
  }
  return out;
}

}  // namespace bitblock::hwsim
