#pragma once
// Accelerator architecture (arch/*.yaml): a block-skipping, output-stationary integer MAC array
// with separate weight, index, parameter and (ping-pong) activation SRAMs, one supply.
#include <cstdint>
#include <string>

#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

// What an SRAM macro does while its memory is not accessing it (a stage that uses other macros):
// stay on, drop to the retention supply (data kept), or power off (data lost).
enum class IdleMode { On, Retention, PowerGate };
// How a lane multiplies: shift-and-add sized to each stage's operand widths, or one array
// multiplier built for the widest operands (max_weight_bits x max_act_bits) on every product.
enum class Multiplier { ShiftAdd, Array };
// What the datapath does with a product whose activation (or weight code) is zero
// (activity.hpp): nothing (every product switches), clock_gate (the lane's multiplier, its adder
// tree input and its accumulator update hold their values: no switching, same cycles), or skip
// (products of zero activations are not issued: fewer cycles, and weight words no issued product
// needs are not read).
enum class ZeroGating { None, ClockGate, Skip };

struct SramSpec {
  int banks = 1;                 // equal banks read in parallel each access (port = banks x word_bits)
  int word_bits = 64;            // bits per access of one bank
  int64_t capacity_bytes = 0;    // total over banks
  int macros_per_bank = 1;       // equal macros stacked in each bank's address space; an access enables one
  std::string cell_type;         // SRAM cell flavour; empty: the arch's cell_type
  IdleMode idle = IdleMode::On;
  int macros() const { return banks * macros_per_bank; }
  int64_t bank_bytes() const { return capacity_bytes / banks; }
  int64_t macro_bytes() const { return capacity_bytes / macros(); }
};

struct Arch {
  std::string name, source;
  double clock_mhz = 200;
  double supply_v = 1.1;         // one supply for SRAM and logic; energies and clock limits follow it
  std::string cell_type = "itrs-lstp";   // default SRAM cell flavour
  std::string logic_cell_type = "hp";    // device flavour of the datapath logic
  int lanes = 16;                // parallel multipliers (MACs per cycle)
  int max_weight_bits = 8;       // multiplier operand widths the array is built for
  int max_act_bits = 9;
  int accumulator_bits = 24;
  int accumulators = 64;         // accumulator registers (>= block height x positions_per_pass)
  int positions_per_pass = 1;    // conv output positions one read of the weights serves (weight reuse)
  bool input_buffer = false;     // a position's inputs read once into registers (else once per kept block)
  double control_overhead = 0.1; // control logic = this fraction of datapath logic (area and energy)
  bool clock_gating = true;      // registers are clocked only when written (else every cycle)
  Multiplier multiplier = Multiplier::ShiftAdd;
  ZeroGating zero_gating = ZeroGating::None;
  SramSpec weight_sram, index_sram, param_sram, act_sram;  // act_sram: each ping-pong half

  double clock_ns() const { return 1000.0 / clock_mhz; }
};

// The cell flavour a memory is built from.
const std::string& cell_of(const Arch& a, const SramSpec& s);
const char* idle_name(IdleMode m);
const char* multiplier_name(Multiplier m);
const char* zero_gating_name(ZeroGating g);

// Throws InputError naming the file and key for unknown/missing keys and values out of range
// (zero lanes, zero banks, capacity not a multiple of the macros, ...). Keys with a default may
// be left out (see the arch files for each default and its reason).
Arch load_arch(const std::string& path);
// Validates an Arch built in code (load_arch calls it); `where` names it in errors.
void validate_arch(const Arch& a, const std::string& where);

// Bits the hardware stores per stage (see events.hpp for the layout).
struct StageStorage {
  int64_t weight_bits = 0;   // kept blocks x block elements x code bits
  int64_t index_bits = 0;    // compact column indices + row pointers (0 when nothing is dropped)
  int64_t param_bits = 0;    // m_c (32) + b_c (64) per channel
  int64_t input_bits = 0;    // the stage's input feature map at its code width
  int64_t output_bits = 0;   // the stage's output codes (0 for the final stage: logits go to registers)
  int index_col_bits = 0, index_ptr_bits = 0;
  int input_code_bits = 0;   // stored input code width (8 for the image: pixels)
  int mult_act_bits = 0;     // operand width at the multiplier (9 for centered input, 1 for sign)
};
StageStorage stage_storage(const model::Network& net, size_t k);

// Checks the model fits the arch: SRAM capacities ("weight SRAM holds N bytes, model needs M
// bytes (stage k): set weight_sram.capacity_bytes >= M"), words at least one code (weight code,
// index entry, activation code) wide, operand widths, accumulator width (worst-case |acc| per
// stage) and accumulator count. InputError naming the arch file and key.
void check_model_fits(const Arch& a, const model::Network& net);

}  // namespace bitblock::hwsim
