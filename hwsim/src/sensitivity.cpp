#include "bitblock/hwsim/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/band.hpp"
#include "bitblock/common/gnuplot.hpp"
#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/events.hpp"
#include "bitblock/hwsim/supply.hpp"

#include "number_text.hpp"

namespace bitblock::hwsim {

double LeverResult::swing_nj() const {
  return low.valid && high.valid ? std::fabs(high.energy_nj - low.energy_nj) : 0.0;
}

namespace {

double energy_nj(const model::Network& net, const Arch& a, const Tech& t, const ImageSet& images) {
  validate_arch(a, "sensitivity");
  return price_design(net, a, t, images).energy_nj;
}

LeverEnd end(const model::Network& net, const Arch& base, const Tech& t, const ImageSet& images,
             const std::string& label, const std::function<void(Arch&)>& change) {
  LeverEnd e;
  e.label = label;
  Arch a = base;
  change(a);
  try {
    e.energy_nj = energy_nj(net, a, t, images);
  } catch (const InputError& err) {
    e.valid = false;
    e.problem = err.what();
  }
  return e;
}

void all_memories(Arch& a, const std::function<void(SramSpec&)>& f) {
  for (SramSpec* s : {&a.weight_sram, &a.index_sram, &a.param_sram, &a.act_sram}) f(*s);
}

}  // namespace

Sensitivity run_sensitivity(const model::Network& net, const Arch& base, const Tech& t, const ImageSet& images) {
  Sensitivity s;
  s.arch = base.name;
  s.base_nj = energy_nj(net, base, t, images);
  const Macros m = sram_macros(base, t);
  auto lever = [&](const std::string& name, const std::string& lo_label, const std::function<void(Arch&)>& lo,
                   const std::string& hi_label, const std::function<void(Arch&)>& hi) {
    s.levers.push_back({name, end(net, base, t, images, lo_label, lo), end(net, base, t, images, hi_label, hi)});
  };
  double v_high = 0;
  for (const SramSpec* sp : {&base.weight_sram, &base.index_sram, &base.param_sram, &base.act_sram})
    v_high = std::max(v_high, device(t, cell_of(base, *sp)).vdd_v);
  lever("supply_v", fmt("%.2f V", t.sram_vmin_v), [&](Arch& a) { a.supply_v = t.sram_vmin_v; },
        fmt("%.2f V", v_high), [&](Arch& a) { a.supply_v = v_high; });
  const double f_max = std::floor(clock_limit(base, t, m).fmax_mhz);
  lever("clock_mhz", fmt("%.0f MHz", base.clock_mhz / 2), [&](Arch& a) { a.clock_mhz = base.clock_mhz / 2; },
        fmt("%.0f MHz", f_max), [&](Arch& a) { a.clock_mhz = f_max; });
  lever("lanes", std::to_string(std::max(1, base.lanes / 2)), [&](Arch& a) { a.lanes = std::max(1, base.lanes / 2); },
        std::to_string(base.lanes * 2), [&](Arch& a) { a.lanes = base.lanes * 2; });
  lever("weight_sram.word_bits", "32", [&](Arch& a) { a.weight_sram.word_bits = 32; }, "256",
        [&](Arch& a) { a.weight_sram.word_bits = 256; });
  lever("weight_sram.macros_per_bank", "1", [&](Arch& a) { a.weight_sram.macros_per_bank = 1; },
        std::to_string(base.weight_sram.macros_per_bank * 2),
        [&](Arch& a) { a.weight_sram.macros_per_bank = base.weight_sram.macros_per_bank * 2; });
  lever("SRAM cell_type", "itrs-lstp", [&](Arch& a) { a.cell_type = "itrs-lstp"; all_memories(a, [](SramSpec& x) { x.cell_type.clear(); }); },
        "itrs-lop", [&](Arch& a) { a.cell_type = "itrs-lop"; all_memories(a, [](SramSpec& x) { x.cell_type.clear(); }); });
  lever("logic_cell_type", "itrs-lstp", [&](Arch& a) { a.logic_cell_type = "itrs-lstp"; }, "hp",
        [&](Arch& a) { a.logic_cell_type = "hp"; });
  lever("idle (SRAM)", "on", [&](Arch& a) { all_memories(a, [](SramSpec& x) { x.idle = IdleMode::On; }); }, "retention",
        [&](Arch& a) { all_memories(a, [](SramSpec& x) { x.idle = IdleMode::Retention; }); });
  lever("clock_gating", "on", [&](Arch& a) { a.clock_gating = true; }, "off", [&](Arch& a) { a.clock_gating = false; });
  lever("multiplier", "shift_add", [&](Arch& a) { a.multiplier = Multiplier::ShiftAdd; }, "array",
        [&](Arch& a) { a.multiplier = Multiplier::Array; });
  lever("positions_per_pass", std::to_string(base.positions_per_pass),
        [](Arch&) {}, std::to_string(base.positions_per_pass * 4), [&](Arch& a) {
          a.positions_per_pass = base.positions_per_pass * 4;
          a.accumulators = base.accumulators * 4;
        });
  lever("input_buffer", "on", [&](Arch& a) { a.input_buffer = true; }, "off", [&](Arch& a) { a.input_buffer = false; });
  lever("accumulator_bits", std::to_string(base.accumulator_bits), [](Arch&) {}, "32",
        [&](Arch& a) { a.accumulator_bits = 32; });
  lever("control_overhead", "0", [&](Arch& a) { a.control_overhead = 0; }, "0.3",
        [&](Arch& a) { a.control_overhead = 0.3; });
  if (images.count > 0)
    lever("zero_gating", "none", [](Arch& a) { a.zero_gating = ZeroGating::None; }, "skip",
          [](Arch& a) { a.zero_gating = ZeroGating::Skip; });
  // Technology constants, each alone over its band (the others nominal); the arch runs at that
  // end as band.hpp describes (supply raised to the floor, clock lowered to the limit).
  auto tech_lever = [&](const std::string& name, Range TechBand::*field,
                        const std::function<std::string(const Tech&, const Arch&)>& label) {
    if (!(t.band.*field).given) return;
    Tech only = t;
    only.band = TechBand{};
    only.band.*field = t.band.*field;
    if (field == &TechBand::vmin_v) only.band.vmin_high_cell_nominal = t.band.vmin_high_cell_nominal;
    LeverResult r{name, {}, {}};
    for (BandEnd e : {BandEnd::Low, BandEnd::High}) {
      LeverEnd& x = e == BandEnd::Low ? r.low : r.high;
      const Tech te = tech_at(only, e);
      try {
        const Arch ae = arch_at(base, only, e);
        x.label = label(te, ae);
        x.energy_nj = energy_nj(net, ae, te, images);
      } catch (const InputError& err) {
        x.valid = false;
        x.problem = err.what();
      }
    }
    s.levers.push_back(r);
  };
  tech_lever("tech: full-adder energy", &TechBand::full_adder_pj,
             [](const Tech& te, const Arch&) { return fmt("%.5f pJ", te.logic.fa_pj); });
  tech_lever("tech: SRAM access energy", &TechBand::sram_energy_scale, [&](const Tech& te, const Arch&) {
    return fmt("x %.2f", te.sram.front().read_pj / t.sram.front().read_pj);
  });
  tech_lever("tech: supply floor", &TechBand::vmin_v,
             [](const Tech&, const Arch& ae) { return fmt("%.2f V", ae.supply_v); });
  tech_lever("tech: alpha", &TechBand::alpha, [](const Tech& te, const Arch& ae) {
    return fmt("%.1f", te.alpha) + fmt(" (%.0f MHz)", ae.clock_mhz);
  });
  std::stable_sort(s.levers.begin(), s.levers.end(),
                   [](const LeverResult& x, const LeverResult& y) { return x.swing_nj() > y.swing_nj(); });
  return s;
}

std::vector<std::string> write_sensitivity(const std::string& out_dir, const Sensitivity& s) {
  make_dirs(out_dir);
  std::ostringstream csv, dat;
  csv << "lever,low,low_energy_nj,high,high_energy_nj,base_energy_nj,swing_nj,problem\n";
  auto quoted = [](std::string x) {
    for (char& c : x)
      if (c == '"') c = '\'';
    return "\"" + x + "\"";
  };
  for (size_t i = 0; i < s.levers.size(); ++i) {
    const LeverResult& l = s.levers[i];
    std::string problem;
    for (const LeverEnd* e : {&l.low, &l.high})
      if (!e->valid) problem += (problem.empty() ? "" : "; ") + e->label + ": " + e->problem;
    csv << l.lever << "," << quoted(l.low.label) << "," << (l.low.valid ? fmt("%.4f", l.low.energy_nj) : "") << ","
        << quoted(l.high.label) << "," << (l.high.valid ? fmt("%.4f", l.high.energy_nj) : "") << ","
        << fmt("%.4f", s.base_nj) << "," << fmt("%.4f", l.swing_nj()) << "," << quoted(problem) << "\n";
    const double lo = l.low.valid ? l.low.energy_nj : s.base_nj, hi = l.high.valid ? l.high.energy_nj : s.base_nj;
    dat << i << " " << gnuplot_data_field(l.lever) << " " << fmt("%.4f", lo) << " " << fmt("%.4f", hi) << " "
        << gnuplot_data_field(l.low.valid ? l.low.label : l.low.label + " (invalid)") << " "
        << gnuplot_data_field(l.high.valid ? l.high.label : l.high.label + " (invalid)") << "\n";
  }
  write_file_atomic(out_dir + "/sensitivity.csv", csv.str());
  write_file_atomic(out_dir + "/tornado.dat", dat.str());
  if (!gnuplot_available()) return {};
  const std::string base = fmt("%.4f", s.base_nj);
  double lo = s.base_nj, hi = s.base_nj;
  for (const LeverResult& l : s.levers)
    for (const LeverEnd* e : {&l.low, &l.high})
      if (e->valid) {
        lo = std::min(lo, e->energy_nj);
        hi = std::max(hi, e->energy_nj);
      }
  std::ostringstream g;
  const bool log_x = hi > 10 * lo;
  g << "set terminal pngcairo noenhanced size 1000," << 140 + 42 * s.levers.size() << "\nset output 'tornado.png'\n"
    << "set title "
    << gnuplot_quote("Energy per classification, one lever at a time (" + s.arch + ", base " + fmt("%.1f", s.base_nj) +
                     " nJ)")
    << "\nset xlabel 'nJ per classification" << (log_x ? " (log scale)" : "") << "'\nset yrange ["
    << s.levers.size() << "-0.5:-0.5]\n"
    << (log_x ? "set logscale x\nset xrange [" + fmt("%.4f", lo / 1.5) + ":" + fmt("%.4f", hi * 1.5) + "]\n"
              : "set offsets graph 0.12, graph 0.12, 0, 0\n")
    << "set style fill solid 0.75 noborder\nset key bottom right\nset grid xtics\n"
    << "set arrow from " << base << ", graph 0 to " << base << ", graph 1 nohead dt 2 lw 1.5\n"
    << "plot 'tornado.dat' using (" << base << " < $3 ? " << base << " : $3):1:(" << base << " < $3 ? " << base
    << " : $3):(" << base << " < $3 ? $3 : " << base << "):($1-0.32):($1+0.32):ytic(2) with boxxyerror lc rgb '#4878a8' "
       "title 'low end',\\\n"
    << "     '' using (" << base << " < $4 ? " << base << " : $4):1:(" << base << " < $4 ? " << base << " : $4):("
    << base << " < $4 ? $4 : " << base << "):($1-0.32):($1+0.32) with boxxyerror lc rgb '#d8803c' title 'high end',\\\n"
    << "     '' using 3:1:5 with labels offset char 0,0.95 font ',8' notitle,\\\n"
    << "     '' using 4:1:6 with labels offset char 0,-0.95 font ',8' notitle\n";
  // Run in the output folder, whose path never enters the script (see report.cpp).
  if (run_gnuplot_script(g.str(), out_dir + "/tornado.gnuplot", out_dir)) return {"tornado.png"};
  return {};
}

}  // namespace bitblock::hwsim
