#pragma once
// Energy, time and area from event counts at the arch's supply:
//   SRAM access energy: counts x CACTI per-access energy x (V / V_nom(cell))^2;
//   arithmetic: full-adder cells switched (multipliers by operand width, adder trees,
//     accumulators, requantization) x the full-adder energy at V (tech.hpp);
//   registers: bits written (clock gating) or every datapath flop every cycle (no gating);
//   control: the arch's control_overhead fraction of the datapath's dynamic energy and area;
//   leakage: SRAM macros (active, or idle in their idle mode) and datapath logic, x time.
// Area = SRAM macros + MAC array + requantization unit + registers + control.
#include <string>
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/events.hpp"
#include "bitblock/hwsim/sram.hpp"
#include "bitblock/hwsim/supply.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

struct Energy {  // pJ per classification
  double weight_sram = 0, index_sram = 0, param_sram = 0, act_sram = 0;
  double mac = 0, requant = 0, registers = 0, control = 0, sram_leakage = 0, logic_leakage = 0;
  double total() const {
    return weight_sram + index_sram + param_sram + act_sram + mac + requant + registers + control + sram_leakage +
           logic_leakage;
  }
  Energy& operator+=(const Energy& o);
};

struct Area {  // mm^2
  double weight_sram = 0, index_sram = 0, param_sram = 0, act_sram = 0;
  double mac_array = 0, requant_unit = 0, registers = 0, control = 0;
  double total() const {
    return weight_sram + index_sram + param_sram + act_sram + mac_array + requant_unit + registers + control;
  }
  double logic() const { return mac_array + requant_unit + registers + control; }
};

struct StageCost {
  EventCounts events;
  StageUse use;
  Energy energy;
  int64_t cycles = 0;
};

struct CostReport {
  Macros macros;
  ClockLimit clock;
  std::vector<StageCost> stages;
  Energy energy;                     // per classification
  Area area;
  int64_t cycles = 0;                // per classification
  double latency_us = 0, classifications_per_s = 0;
  double leakage_mw = 0;             // SRAM (every macro on) + logic, at the supply
  double arith_pj = 0;               // MAC + requant dynamic energy (the headline model)
  double arith_pj_aladdin32 = 0;     // the same with Aladdin's 32-bit units width-scaled, nominal supply
  std::vector<std::string> warnings; // extrapolated SRAM sizes
};

// Throws InputError (check_supply) when the clock is too fast for the supply or the supply too
// low; counts are count_events(net, a).
CostReport estimate_cost(const Arch& a, const Tech& t, const model::Network& net, const std::vector<EventCounts>& counts);

}  // namespace bitblock::hwsim
