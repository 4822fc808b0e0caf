#pragma once
// The arch's supply against its technology: the highest clock each part reaches at supply_v
// (alpha-power law from each device flavour's nominal supply, tech.hpp) and the supply's lower
// limits (6T SRAM read/write minimum, device thresholds).
#include <string>
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/sram.hpp"
#include "bitblock/hwsim/tech.hpp"

namespace bitblock::hwsim {

struct ClockLimit {
  double fmax_mhz = 0;           // the lowest of the parts below
  std::string limiter;           // the part that sets it, e.g. "weight SRAM (itrs-lstp)"
  struct Part {
    std::string name;
    double fmax_mhz = 0;
  };
  std::vector<Part> parts;       // datapath logic, then each memory
};
ClockLimit clock_limit(const Arch& a, const Tech& t, const Macros& m);

// InputError naming the arch file and key: supply_v below the SRAM minimum or at or below a
// device threshold; clock_mhz above the clock limit at supply_v ("clock_mhz: 400 MHz is above
// the 312 MHz the weight SRAM (itrs-lstp) reaches at supply_v 0.70 V").
void check_supply(const Arch& a, const Tech& t, const Macros& m);

}  // namespace bitblock::hwsim
