#pragma once
// Energy, time and area from event counts: energy = counts x unit energies (tech.hpp) +
// leakage x time; area = SRAM macros + MAC array + registers + requantization unit + control.
// Control logic is the arch's control_overhead fraction of the datapath logic (MAC array,
// requantization, registers), in area and in dynamic energy.
#include <string>
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/events.hpp"
#include "bitblock/hwsim/tech.hpp"

namespace bitblock::hwsim {

struct Energy {  // pJ per classification
  double weight_sram = 0, index_sram = 0, param_sram = 0, act_sram = 0;
  double mac = 0, requant = 0, registers = 0, control = 0, leakage = 0;
  double total() const {
    return weight_sram + index_sram + param_sram + act_sram + mac + requant + registers + control + leakage;
  }
  Energy& operator+=(const Energy& o);
};

struct Area {  // mm^2
  double weight_sram = 0, index_sram = 0, param_sram = 0, act_sram = 0;
  double mac_array = 0, requant_unit = 0, registers = 0, control = 0;
  double total() const {
    return weight_sram + index_sram + param_sram + act_sram + mac_array + requant_unit + registers + control;
  }
};

struct Macros {  // one bank of each memory
  SramMacro weight, index, param, act;
};

struct StageCost {
  EventCounts events;
  Energy energy;
  int64_t cycles = 0;
};

struct CostReport {
  Macros macros;
  std::vector<StageCost> stages;
  Energy energy;                     // per classification
  Area area;
  int64_t cycles = 0;                // per classification
  double latency_us = 0, classifications_per_s = 0;
  double leakage_mw = 0;
  double arith_pj_aladdin = 0;       // MAC + requant dynamic energy (headline figures)
  double arith_pj_horowitz45 = 0;    // the same recomputed with Horowitz's 45 nm figures
  std::vector<std::string> warnings; // extrapolated SRAM sizes, SRAM slower than the clock
};

Macros sram_macros(const Arch& a, const Tech& t);
CostReport estimate_cost(const Arch& a, const Tech& t, const std::vector<EventCounts>& counts);

}  // namespace bitblock::hwsim
