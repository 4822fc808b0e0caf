#pragma once
// `bitblock hwsim --sensitivity`: each design lever of an arch varied alone over its stated
// range, energy per classification at both ends, drawn as a tornado plot. Each end is priced by
// price_design (simulate.hpp): the data-independent counts, or, where the arch (or the end)
// gates zero operands and images are given, the mean over those images.
//
// Levers and ranges (low end, high end):
//   supply_v            the SRAM minimum (tech sram.vmin_v) .. the highest nominal supply of the
//                       arch's SRAM flavours (clock held)
//   clock_mhz           half the clock .. the clock limit at the supply
//   lanes               half .. double
//   weight word_bits    32 .. 256 (the CACTI table's range)
//   weight macros/bank  1 .. double (capacity kept)
//   SRAM cell type      itrs-lstp .. itrs-lop (every memory)
//   logic cell type     itrs-lstp .. hp
//   idle banks          on .. retention (every memory)
//   clock gating        on .. off
//   multiplier          shift_add .. array
//   positions_per_pass  the arch's .. 4x (with 4x the accumulators)
//   input_buffer        on .. off
//   accumulator_bits    the arch's .. 32
//   control_overhead    0 .. 0.3
//   zero_gating         none .. skip (only with images: without them both ends cost the same)
// and each technology constant of the tech file's band (band.hpp) alone over its low .. high:
//   tech: full-adder energy, SRAM access energy, supply floor (the arch's supply raised to it),
//   alpha (the clock lowered to the limit)
// An end that is invalid for the model (too fast a clock for the supply, a memory too small)
// keeps its reason and draws no bar.
#include <string>
#include <vector>

#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/simulate.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

struct LeverEnd {
  std::string label;             // e.g. "0.70 V"
  bool valid = true;
  double energy_nj = 0;
  std::string problem;           // why invalid
};

struct LeverResult {
  std::string lever;
  LeverEnd low, high;
  double swing_nj() const;       // |high - low| over the valid ends (0 when fewer than two)
};

struct Sensitivity {
  std::string arch;
  double base_nj = 0;
  std::vector<LeverResult> levers;  // largest swing first
};

// The base arch must fit the model and its supply (InputError otherwise).
Sensitivity run_sensitivity(const model::Network& net, const Arch& base, const Tech& t, const ImageSet& images = {});
// sensitivity.csv and, if gnuplot runs, tornado.png. Returns the plot names written.
std::vector<std::string> write_sensitivity(const std::string& out_dir, const Sensitivity& s);

}  // namespace bitblock::hwsim
