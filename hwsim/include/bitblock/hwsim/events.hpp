#pragma once
// Event counts of one classification under the block-skipping schedule. The schedule depends
// on the model's layout only (never on the data), so counts are computed once per model by
// formula (count_events) and checked against a cycle-by-cycle walk of the schedule
// (walk_events).
//
// Schedule (output-stationary, per stage; a dense stage has one output position, a conv stage
// one per output pixel; a pass over the stage's weights serves positions_per_pass positions):
//   for each block-row i: clear the accumulators of its block_rows rows (of every position of
//   the pass); for each kept block (i, j) in CSR order, for each position of the pass:
//     * the lanes consume the block's stored block_rows x block_cols codes row-major, pc at a
//       time, pc = min(lanes, floor(weight banks * word_bits / bits)) -> ceil(E / pc) cycles
//       (E = stored block elements; ragged-edge positions take a slot but their MAC is gated);
//     * each cycle, every block row touched sums its lanes' products in an adder tree (every
//       slot of the row, ragged ones included, feeds the tree) and adds the sum into its
//       accumulator: one accumulator update per row touched per cycle;
//     * the block's input codes are read from the activation SRAM into operand registers:
//       dense: ceil(cols_in_block * input_bits / act word_bits) words (contiguous); conv: one
//       word per column (an im2col gather); the banks serve one word each per cycle, so a block
//       takes max(ceil(E / pc), ceil(act words / act banks)) cycles. With input_buffer, each
//       position's inputs are instead read once into a register buffer before its blocks (dense:
//       ceil(K x input bits / word) words; conv: per filter row ceil(kw x Cin x input bits /
//       word)), taking ceil(words / act banks) cycles, and every block takes ceil(E / pc);
//     * the packed weight stream, the compact block index (column index of ceil(log2(block
//       columns)) bits per kept block, row pointer of ceil(log2(kept + 1)) bits per block-row;
//       none when nothing is dropped) and the requantization parameters (m_c 32 + b_c 64 bits
//       per channel) are read sequentially, one word per read (reads = ceil(bits / word_bits)
//       per pass); a pass serving more than one position latches each block's codes in
//       registers (block elements x code bits written per pass) and reuses them;
//   then each output is requantized (one per cycle, not overlapped: 1 multiply acc x 32-bit
//   and one 64-bit add), max-pooled (size^2 - 1 compares per pooled output at acc or code
//   width) and written to the other activation SRAM half (ceil(output bits / word_bits)
//   words) or, for the final stage, to 64-bit logit registers.
// The image is first written into the activation SRAM (8-bit pixels), counted in stage 0.
#include <cstdint>
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

struct EventCounts {
  int64_t weight_reads = 0, index_reads = 0, param_reads = 0;  // words
  int64_t act_reads = 0, act_writes = 0;                        // words
  int64_t macs = 0;              // executed multiply-accumulates (in-matrix weights of kept blocks)
  int64_t active_products = 0;   // products whose logic switches (= macs unless zero_gating is clock_gate)
  int64_t acc_updates = 0;       // accumulator register writes
  int64_t operand_bits = 0;      // bits written into operand registers
  int64_t requants = 0;
  int64_t pool_compares = 0;
  int64_t output_reg_bits = 0;   // final logits
  int64_t mac_cycles = 0, requant_cycles = 0, load_cycles = 0;
  int64_t tree_fa = 0;           // full-adder cells switched in the adder trees (tech.hpp adder_tree_fa)
  // Operand widths for the energy model.
  int weight_bits = 0, act_bits = 0, pool_bits = 0;

  int64_t cycles() const { return mac_cycles + requant_cycles + load_cycles; }
  bool operator==(const EventCounts& o) const;
};

// Act SRAM words holding `cols` input codes of one kept block (dense: contiguous; conv: one
// word per column).
int64_t block_act_words(const model::Stage& s, int cols, int code_bits, const Arch& a);
// Act SRAM words one output position's inputs take when an input buffer holds them.
int64_t buffered_act_words(const model::Stage& s, int code_bits, const Arch& a);
// Weights per cycle of a stage (pc above).
int weights_per_cycle(const Arch& a, int weight_bits);
// Accumulator updates of one stored block processed pc elements at a time, row-major.
int64_t block_row_updates(int block_rows, int block_cols, int pc);
// Width of one product: a k-bit code times an a-bit activation needs k + a bits; a binary x
// binary product (XNOR) is one bit, summed by a popcount tree.
int product_bits(int weight_bits, int act_bits);
// Full-adder cells of the adder trees of one stored block: per cycle, per row touched, a tree
// over that row's products.
int64_t block_tree_fa(int block_rows, int block_cols, int pc, int product_bits);

std::vector<EventCounts> count_events(const model::Network& net, const Arch& a);
std::vector<EventCounts> walk_events(const model::Network& net, const Arch& a);

}  // namespace bitblock::hwsim
