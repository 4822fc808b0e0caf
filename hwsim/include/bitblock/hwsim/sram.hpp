#pragma once
// The SRAM macros of an architecture and which of them each stage uses.
//
// Layout: a memory of `banks` banks, each built from `macros_per_bank` equal macros stacked in
// the bank's address space. Weight, index and parameter streams are stored stage after stage,
// each stage starting on a new row (one word in every bank), words striped over the banks; the
// activation halves hold a stage's input (half k % 2) and output (the other half) from address 0.
// A macro is active in a stage when the stage reads or writes a word in it; an idle macro is live
// when it holds data a later access needs (weights, indices and parameters always are: they
// serve every classification), dead otherwise (unused capacity, consumed activations).
#include <string>
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

struct Macros {  // one macro of each memory, at its flavour's nominal supply
  SramMacro weight, index, param, act;
};
Macros sram_macros(const Arch& a, const Tech& t);

struct MemoryUse {  // one memory's macros during one stage (counted over banks; act: both halves)
  int active = 0, idle_live = 0, idle_dead = 0;
  int first_live_idle = -1;      // index within a bank of one idle live macro (for messages), -1: none
  bool operator==(const MemoryUse& o) const {
    return active == o.active && idle_live == o.idle_live && idle_dead == o.idle_dead;
  }
};
struct StageUse {
  MemoryUse weight, index, param, act;
};
std::vector<StageUse> sram_use(const Arch& a, const model::Network& net);

// Leakage of an idle macro relative to an active one at the same supply: 1 (on), the retention
// supply's share (retention: cells at retention_fraction x nominal, CACTI's model, never above
// the supply itself), 0 (power-gated).
double idle_leakage_factor(IdleMode m, const Tech& t, const std::string& cell, double v);

}  // namespace bitblock::hwsim
