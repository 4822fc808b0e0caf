#include "bitblock/hwsim/supply.hpp"

#include <cmath>
#include <cstdio>

#include "bitblock/common/error.hpp"

namespace bitblock::hwsim {

namespace {
std::string volts(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f V", v);
  return buf;
}
std::string mhz(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f MHz", f);
  return buf;
}
}  // namespace

ClockLimit clock_limit(const Arch& a, const Tech& t, const Macros& m) {
  ClockLimit c;
  c.parts.push_back({"datapath logic (" + a.logic_cell_type + ")", logic_fmax_mhz(t, a.logic_cell_type, a.supply_v)});
  const struct {
    const char* name;
    const SramSpec& spec;
    const SramMacro& macro;
  } mems[] = {{"weight SRAM", a.weight_sram, m.weight},
              {"index SRAM", a.index_sram, m.index},
              {"parameter SRAM", a.param_sram, m.param},
              {"activation SRAM", a.act_sram, m.act}};
  for (const auto& mem : mems) {
    const std::string& cell = cell_of(a, mem.spec);
    c.parts.push_back({std::string(mem.name) + " (" + cell + ")", sram_fmax_mhz(t, mem.macro, cell, a.supply_v)});
  }
  c.fmax_mhz = c.parts[0].fmax_mhz;
  c.limiter = c.parts[0].name;
  for (const ClockLimit::Part& p : c.parts) {
    if (p.fmax_mhz < c.fmax_mhz) {
      c.fmax_mhz = p.fmax_mhz;
      c.limiter = p.name;
    }
  }
  return c;
}

void check_supply(const Arch& a, const Tech& t, const Macros& m) {
  const std::string& f = a.source.empty() ? a.name : a.source;
  const double v = a.supply_v;
  if (v < t.sram_vmin_v)
    fail_input(f, "supply_v: " + volts(v) + " is below " + volts(t.sram_vmin_v) +
                      ", the lowest supply a 6T SRAM reads and writes at (" + t.source + ": sram.vmin_v)");
  const std::string cells[] = {a.logic_cell_type, cell_of(a, a.weight_sram), cell_of(a, a.index_sram),
                               cell_of(a, a.param_sram), cell_of(a, a.act_sram)};
  for (const std::string& cell : cells) {
    const Device& d = device(t, cell);
    if (v <= d.vth_v)
      fail_input(f, "supply_v: " + volts(v) + " is at or below the " + cell + " threshold voltage " + volts(d.vth_v));
  }
  const ClockLimit c = clock_limit(a, t, m);
  if (a.clock_mhz > c.fmax_mhz)
    fail_input(f, "clock_mhz: " + mhz(a.clock_mhz) + " is above the " + mhz(std::floor(c.fmax_mhz)) + " the " + c.limiter +
                      " reaches at supply_v " + volts(v) + " (alpha-power law, alpha " + std::to_string(t.alpha).substr(0, 4) +
                      "): lower clock_mhz or raise supply_v");
}

}  // namespace bitblock::hwsim
