#pragma once
// The uncertainty band of an energy estimate: every technology constant of the tech file's
// `band:` at its low end, at its nominal value, and at its high end (ordered so that low gives
// less energy), the arch held. At an end the arch's supply is raised to that end's supply floor
// (the design cannot run below it), its clock lowered to that end's clock limit when above it,
// and its control overhead is the end's (never moved past the arch's own value).
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/events.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

enum class BandEnd { Low, Nominal, High };

// The tech with every band constant at `e` (SRAM read/write energies scaled, full-adder energy,
// supply floor, alpha).
Tech tech_at(const Tech& t, BandEnd e);
// The arch as it runs at end `e` of the band (supply, clock, control overhead; see above).
Arch arch_at(const Arch& a, const Tech& t, BandEnd e);

struct BandPoint {
  double energy_nj = 0;          // mean over the images given
  double supply_v = 0, clock_mhz = 0, control_overhead = 0;
};
struct EnergyBand {
  BandPoint low, nominal, high;
};

// Mean energy per classification over `images` (each one classification's counts per stage, as
// count_events or image_stage_events give them) at each end.
EnergyBand energy_band(const model::Network& net, const Arch& a, const Tech& t,
                       const std::vector<std::vector<EventCounts>>& images);

}  // namespace bitblock::hwsim
