#include "bitblock/hwsim/cost.hpp"

#include <cstdio>

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
  leakage += o.leakage;
  return *this;
}

Macros sram_macros(const Arch& a, const Tech& t) {
  Macros m;
  m.weight = sram_macro(t, static_cast<double>(a.weight_sram.bank_bytes()), a.weight_sram.word_bits, a.cell_type);
  m.index = sram_macro(t, static_cast<double>(a.index_sram.bank_bytes()), a.index_sram.word_bits, a.cell_type);
  m.param = sram_macro(t, static_cast<double>(a.param_sram.bank_bytes()), a.param_sram.word_bits, a.cell_type);
  m.act = sram_macro(t, static_cast<double>(a.act_sram.bank_bytes()), a.act_sram.word_bits, a.cell_type);
  return m;
}

namespace {
void warn_macro(const SramMacro& m, const char* name, const SramSpec& s, const Arch& a, std::vector<std::string>& w) {
  char buf[256];
  if (m.extrapolated) {
    std::snprintf(buf, sizeof buf, "%s bank %lld B x %d bit lies outside the CACTI table: figures are extrapolated", name,
                  static_cast<long long>(s.bank_bytes()), s.word_bits);
    w.push_back(buf);
  }
  if (m.cycle_ns > a.clock_ns()) {
    std::snprintf(buf, sizeof buf, "%s cycle time %.3f ns exceeds the %.3f ns clock period (%.0f MHz)", name, m.cycle_ns,
                  a.clock_ns(), a.clock_mhz);
    w.push_back(buf);
  }
}
}  // namespace

CostReport estimate_cost(const Arch& a, const Tech& t, const std::vector<EventCounts>& counts) {
  CostReport r;
  r.macros = sram_macros(a, t);
  const Macros& m = r.macros;
  const LogicTech& l = t.logic;
  r.leakage_mw = m.weight.leakage_mw * a.weight_sram.banks + m.index.leakage_mw * a.index_sram.banks +
                 m.param.leakage_mw * a.param_sram.banks + 2.0 * m.act.leakage_mw * a.act_sram.banks;
  for (const EventCounts& e : counts) {
    StageCost sc;
    sc.events = e;
    sc.cycles = e.cycles();
    Energy& en = sc.energy;
    en.weight_sram = double(e.weight_reads) * m.weight.read_pj;
    en.index_sram = double(e.index_reads) * m.index.read_pj;
    en.param_sram = double(e.param_reads) * m.param.read_pj;
    en.act_sram = double(e.act_reads) * m.act.read_pj + double(e.act_writes) * m.act.write_pj;
    en.mac = double(e.macs) * (mul_pj(l, e.weight_bits, e.act_bits) + add_pj(l, a.accumulator_bits));
    en.requant = double(e.requants) * (mul_pj(l, a.accumulator_bits, 32) + add_pj(l, 64)) +
                 double(e.pool_compares) * add_pj(l, e.pool_bits);
    en.registers = (double(e.acc_updates) * a.accumulator_bits + double(e.operand_bits) + double(e.output_reg_bits)) *
                   l.reg_bit_pj;
    en.control = a.control_overhead * (en.mac + en.requant + en.registers);
    en.leakage = r.leakage_mw * double(sc.cycles) * a.clock_ns();  // mW x ns = pJ
    r.arith_pj_aladdin += en.mac + en.requant;
    r.arith_pj_horowitz45 += double(e.macs) * (ref_mul_pj(t.ref45, e.weight_bits, e.act_bits) +
                                               ref_add_pj(t.ref45, a.accumulator_bits)) +
                             double(e.requants) * (ref_mul_pj(t.ref45, a.accumulator_bits, 32) + ref_add_pj(t.ref45, 64)) +
                             double(e.pool_compares) * ref_add_pj(t.ref45, e.pool_bits);
    r.energy += en;
    r.cycles += sc.cycles;
    r.stages.push_back(sc);
  }
  r.latency_us = double(r.cycles) * a.clock_ns() / 1000.0;
  r.classifications_per_s = r.cycles ? a.clock_mhz * 1e6 / double(r.cycles) : 0.0;
  Area& ar = r.area;
  ar.weight_sram = m.weight.area_mm2 * a.weight_sram.banks;
  ar.index_sram = m.index.area_mm2 * a.index_sram.banks;
  ar.param_sram = m.param.area_mm2 * a.param_sram.banks;
  ar.act_sram = 2.0 * m.act.area_mm2 * a.act_sram.banks;
  ar.mac_array = a.lanes * (mul_um2(l, a.max_weight_bits, a.max_act_bits) + add_um2(l, a.accumulator_bits)) * 1e-6;
  ar.requant_unit = (mul_um2(l, a.accumulator_bits, 32) + add_um2(l, 64)) * 1e-6;
  ar.registers = (double(a.accumulators) * a.accumulator_bits + double(a.lanes) * (a.max_weight_bits + a.max_act_bits)) *
                 l.reg_bit_um2 * 1e-6;
  ar.control = a.control_overhead * (ar.mac_array + ar.requant_unit + ar.registers);
  warn_macro(m.weight, "weight SRAM", a.weight_sram, a, r.warnings);
  warn_macro(m.index, "index SRAM", a.index_sram, a, r.warnings);
  warn_macro(m.param, "parameter SRAM", a.param_sram, a, r.warnings);
  warn_macro(m.act, "activation SRAM", a.act_sram, a, r.warnings);
  return r;
}

}  // namespace bitblock::hwsim
