#include "bitblock/hwsim/cost.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "bitblock/common/error.hpp"

namespace bitblock::hwsim {

Energy& Energy::operator+=(const Energy& o) {
  weight_sram += o.weight_sram;
  index_sram += o.index_sram;
  param_sram += o.param_sram;
  act_sram += o.act_sram;
  mac += o.mac;
  requant += o.requant;
  registers += o.registers;
  control += o.control;
  sram_leakage += o.sram_leakage;
  logic_leakage += o.logic_leakage;
  return *this;
}

namespace {

void warn_extrapolated(const SramMacro& m, const char* name, const SramSpec& s, std::vector<std::string>& w) {
  if (!m.extrapolated) return;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s macro %lld B x %d bit lies outside the CACTI table: figures are extrapolated", name,
                static_cast<long long>(s.macro_bytes()), s.word_bits);
  w.push_back(buf);
}

// Requantization of one output: acc x 32-bit m_c (array multiplier) + 64-bit b_c.
int requant_fa(const Arch& a) { return array_mul_fa(a.accumulator_bits, 32) + 64; }

// Full adders of one lane's multiplier, as built (area) or as switched for a stage's operands.
int lane_mul_fa(const Arch& a, int weight_bits, int act_bits) {
  return a.multiplier == Multiplier::ShiftAdd ? shift_add_fa(weight_bits, act_bits)
                                              : array_mul_fa(a.max_act_bits, a.max_weight_bits);
}

Area estimate_area(const Arch& a, const Tech& t, const Macros& m) {
  const LogicTech& l = t.logic;
  Area ar;
  ar.weight_sram = m.weight.area_mm2 * a.weight_sram.macros();
  ar.index_sram = m.index.area_mm2 * a.index_sram.macros();
  ar.param_sram = m.param.area_mm2 * a.param_sram.macros();
  ar.act_sram = 2.0 * m.act.area_mm2 * a.act_sram.macros();
  // Per lane a multiplier and an accumulating adder, plus one adder tree over the lanes.
  const double mac_fa = double(a.lanes) * (lane_mul_fa(a, a.max_weight_bits, a.max_act_bits) + a.accumulator_bits) +
                        double(adder_tree_fa(a.lanes, product_bits(a.max_weight_bits, a.max_act_bits)));
  ar.mac_array = mac_fa * l.fa_um2 * 1e-6;
  ar.requant_unit = requant_fa(a) * l.fa_um2 * 1e-6;
  ar.registers = (double(a.accumulators) * a.accumulator_bits + double(a.lanes) * (a.max_weight_bits + a.max_act_bits)) *
                 l.reg_bit_um2 * 1e-6;
  ar.control = a.control_overhead * (ar.mac_array + ar.requant_unit + ar.registers);
  return ar;
}

// Leakage (mW) of one memory during a stage: active macros at full rate, idle ones per idle mode.
double memory_leakage_mw(const Arch& a, const Tech& t, const SramSpec& s, const SramMacro& m, const MemoryUse& u) {
  const std::string& cell = cell_of(a, s);
  const double per_macro = m.leakage_mw * leakage_scale(a.supply_v, device(t, cell).vdd_v);
  return per_macro * (u.active + (u.idle_live + u.idle_dead) * idle_leakage_factor(s.idle, t, cell, a.supply_v));
}

// Every number the reports print must be finite. The constants' ranges keep them so for any
// real design; extreme combinations (the largest constants on the largest memories) are bad
// input named by the tech file rather than "inf" in report.json (which JSON writes as null).
void check_finite(const CostReport& r, const Tech& t) {
  const std::pair<const char*, double> values[] = {
      {"energy per classification", r.energy.total()}, {"area", r.area.total()},
      {"latency", r.latency_us},                       {"classifications per second", r.classifications_per_s},
      {"leakage power", r.leakage_mw},                 {"clock limit", r.clock.fmax_mhz},
      {"arithmetic energy", r.arith_pj},               {"cross-check arithmetic energy", r.arith_pj_aladdin32}};
  for (const auto& [what, v] : values)
    if (!std::isfinite(v))
      fail_input(t.source, std::string("the ") + what + " comes out " + (std::isnan(v) ? "NaN" : "infinite") +
                               ": its constants are too extreme for this design (check the values against the "
                               "SRAM table and the logic section)");
  for (const StageCost& s : r.stages)
    if (!std::isfinite(s.energy.total()))
      fail_input(t.source, "a stage's energy comes out infinite: its constants are too extreme for this design");
}

}  // namespace

CostReport estimate_cost(const Arch& a, const Tech& t, const model::Network& net, const std::vector<EventCounts>& counts) {
  CostReport r;
  r.macros = sram_macros(a, t);
  const Macros& m = r.macros;
  check_supply(a, t, m);
  r.clock = clock_limit(a, t, m);
  r.area = estimate_area(a, t, m);
  const LogicTech& l = t.logic;
  const double v = a.supply_v;
  auto sram_scale = [&](const SramSpec& s) { return dynamic_scale(v, device(t, cell_of(a, s)).vdd_v); };
  const double s_w = sram_scale(a.weight_sram), s_i = sram_scale(a.index_sram), s_p = sram_scale(a.param_sram),
               s_a = sram_scale(a.act_sram);
  const double fa = fa_pj(l, v);
  const double reg = l.reg_bit_pj * dynamic_scale(v, l.energy_vdd_v);
  const double flops = double(a.lanes) * (a.max_weight_bits + a.max_act_bits) + double(a.accumulators) * a.accumulator_bits;
  const double logic_leak_mw = logic_leakage_mw(t, a.logic_cell_type, r.area.logic() * 1e6, v);
  const std::vector<StageUse> use = sram_use(a, net);
  MemoryUse all_on_w{a.weight_sram.macros(), 0, 0}, all_on_i{a.index_sram.macros(), 0, 0},
      all_on_p{a.param_sram.macros(), 0, 0}, all_on_a{2 * a.act_sram.macros(), 0, 0};
  r.leakage_mw = memory_leakage_mw(a, t, a.weight_sram, m.weight, all_on_w) +
                 memory_leakage_mw(a, t, a.index_sram, m.index, all_on_i) +
                 memory_leakage_mw(a, t, a.param_sram, m.param, all_on_p) +
                 memory_leakage_mw(a, t, a.act_sram, m.act, all_on_a) + logic_leak_mw;
  for (size_t k = 0; k < counts.size(); ++k) {
    const EventCounts& e = counts[k];
    StageCost sc;
    sc.events = e;
    sc.use = use[k];
    sc.cycles = e.cycles();
    const double time_ns = double(sc.cycles) * a.clock_ns();
    Energy& en = sc.energy;
    en.weight_sram = double(e.weight_reads) * m.weight.read_pj * s_w;
    en.index_sram = double(e.index_reads) * m.index.read_pj * s_i;
    en.param_sram = double(e.param_reads) * m.param.read_pj * s_p;
    en.act_sram = (double(e.act_reads) * m.act.read_pj + double(e.act_writes) * m.act.write_pj) * s_a;
    // Zero-operand clock gating: the trees and accumulators switch for the share of products
    // whose operands are both nonzero (1 without it; activity.hpp).
    const double active = e.macs > 0 ? double(e.active_products) / double(e.macs) : 1.0;
    const double mac_fa = double(e.active_products) * lane_mul_fa(a, e.weight_bits, e.act_bits) +
                          (double(e.tree_fa) + double(e.acc_updates) * a.accumulator_bits) * active;
    en.mac = mac_fa * fa;
    en.requant = (double(e.requants) * requant_fa(a) + double(e.pool_compares) * e.pool_bits) * fa;
    const double clocked_bits = a.clock_gating
                                    ? double(e.acc_updates) * a.accumulator_bits * active + double(e.operand_bits)
                                    : flops * double(sc.cycles);
    en.registers = (clocked_bits + double(e.output_reg_bits)) * reg;
    en.control = a.control_overhead * (en.mac + en.requant + en.registers);
    en.sram_leakage = (memory_leakage_mw(a, t, a.weight_sram, m.weight, sc.use.weight) +
                       memory_leakage_mw(a, t, a.index_sram, m.index, sc.use.index) +
                       memory_leakage_mw(a, t, a.param_sram, m.param, sc.use.param) +
                       memory_leakage_mw(a, t, a.act_sram, m.act, sc.use.act)) *
                      time_ns;  // mW x ns = pJ
    en.logic_leakage = logic_leak_mw * time_ns;
    r.arith_pj += en.mac + en.requant;
    // Cross-check: the former model, Aladdin's 32-bit units scaled by width, at nominal supply.
    const CrossCheck& c = t.check;
    const double mul32 = e.weight_bits <= 1 || e.act_bits <= 1 ? 0.0 : c.mul32_pj * e.weight_bits * e.act_bits / 1024.0;
    r.arith_pj_aladdin32 += double(e.macs) * (mul32 + c.add32_pj * a.accumulator_bits / 32.0) +
                            double(e.requants) * (c.mul32_pj * a.accumulator_bits * 32 / 1024.0 + c.add32_pj * 2) +
                            double(e.pool_compares) * c.add32_pj * e.pool_bits / 32.0;
    r.energy += en;
    r.cycles += sc.cycles;
    r.stages.push_back(sc);
  }
  r.latency_us = double(r.cycles) * a.clock_ns() / 1000.0;
  r.classifications_per_s = r.cycles ? a.clock_mhz * 1e6 / double(r.cycles) : 0.0;
  check_finite(r, t);
  warn_extrapolated(m.weight, "weight SRAM", a.weight_sram, r.warnings);
  warn_extrapolated(m.index, "index SRAM", a.index_sram, r.warnings);
  warn_extrapolated(m.param, "parameter SRAM", a.param_sram, r.warnings);
  warn_extrapolated(m.act, "activation SRAM", a.act_sram, r.warnings);
  return r;
}

}  // namespace bitblock::hwsim
