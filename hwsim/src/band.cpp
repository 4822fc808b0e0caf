#include "bitblock/hwsim/band.hpp"

#include <algorithm>

#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/sram.hpp"
#include "bitblock/hwsim/supply.hpp"

namespace bitblock::hwsim {

namespace {
double pick(const Range& r, double nominal, BandEnd e) {
  if (!r.given || e == BandEnd::Nominal) return nominal;
  return e == BandEnd::Low ? r.low : r.high;
}
}  // namespace

Tech tech_at(const Tech& t, BandEnd e) {
  Tech out = t;
  const double scale = pick(t.band.sram_energy_scale, 1.0, e);
  for (SramPoint& p : out.sram) {
    p.read_pj *= scale;
    p.write_pj *= scale;
  }
  out.logic.fa_pj = pick(t.band.full_adder_pj, t.logic.fa_pj, e);
  out.sram_vmin_v = pick(t.band.vmin_v, t.sram_vmin_v, e);
  out.alpha = pick(t.band.alpha, t.alpha, e);
  return out;
}

Arch arch_at(const Arch& a, const Tech& t, BandEnd e) {
  Arch out = a;
  const Tech te = tech_at(t, e);
  double floor_v = te.sram_vmin_v;
  if (e == BandEnd::High && t.band.vmin_high_cell_nominal)
    for (const SramSpec* s : {&a.weight_sram, &a.index_sram, &a.param_sram, &a.act_sram})
      floor_v = std::max(floor_v, device(t, cell_of(a, *s)).vdd_v);
  out.supply_v = std::max(a.supply_v, floor_v);
  out.clock_mhz = std::min(a.clock_mhz, clock_limit(out, te, sram_macros(out, te)).fmax_mhz);
  const Range& c = t.band.control_overhead;
  if (c.given && e == BandEnd::Low) out.control_overhead = std::min(a.control_overhead, c.low);
  if (c.given && e == BandEnd::High) out.control_overhead = std::max(a.control_overhead, c.high);
  return out;
}

EnergyBand energy_band(const model::Network& net, const Arch& a, const Tech& t,
                       const std::vector<std::vector<EventCounts>>& images) {
  EnergyBand band;
  for (BandEnd e : {BandEnd::Low, BandEnd::Nominal, BandEnd::High}) {
    const Tech te = tech_at(t, e);
    const Arch ae = arch_at(a, t, e);
    double sum_pj = 0, last_pj = 0;
    for (size_t i = 0; i < images.size(); ++i) {
      // Consecutive images with equal counts (always, without zero gating) cost the same.
      if (i == 0 || !(images[i] == images[i - 1])) last_pj = estimate_cost(ae, te, net, images[i]).energy.total();
      sum_pj += last_pj;
    }
    BandPoint& p = e == BandEnd::Low ? band.low : e == BandEnd::Nominal ? band.nominal : band.high;
    p.energy_nj = images.empty() ? 0.0 : sum_pj / double(images.size()) * 1e-3;
    p.supply_v = ae.supply_v;
    p.clock_mhz = ae.clock_mhz;
    p.control_overhead = ae.control_overhead;
  }
  return band;
}

}  // namespace bitblock::hwsim
