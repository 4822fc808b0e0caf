#include "bitblock/hwsim/report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/image_report.hpp"
#include "bitblock/common/text_escape.hpp"
#include "bitblock/common/gnuplot.hpp"

#include "number_text.hpp"

namespace bitblock::hwsim {

namespace {

using nlohmann::json;

json energy_json(const Energy& e) {
  return {{"weight_sram", e.weight_sram * 1e-3},   {"index_sram", e.index_sram * 1e-3},
          {"param_sram", e.param_sram * 1e-3},     {"act_sram", e.act_sram * 1e-3},
          {"mac", e.mac * 1e-3},                   {"requant", e.requant * 1e-3},
          {"registers", e.registers * 1e-3},       {"control", e.control * 1e-3},
          {"sram_leakage", e.sram_leakage * 1e-3}, {"logic_leakage", e.logic_leakage * 1e-3},
          {"total", e.total() * 1e-3}};
}

json counts_json(const EventCounts& e) {
  return {{"weight_reads", e.weight_reads}, {"index_reads", e.index_reads}, {"param_reads", e.param_reads},
          {"act_reads", e.act_reads},       {"act_writes", e.act_writes},   {"macs", e.macs},
          {"acc_updates", e.acc_updates},   {"operand_bits", e.operand_bits}, {"requants", e.requants},
          {"pool_compares", e.pool_compares}, {"output_reg_bits", e.output_reg_bits}, {"mac_cycles", e.mac_cycles},
          {"requant_cycles", e.requant_cycles}, {"load_cycles", e.load_cycles}, {"tree_full_adders", e.tree_fa},
          {"cycles", e.cycles()}};
}

json macro_json(const SramMacro& m, const SramSpec& s, const Arch& a) {
  return {{"banks", s.banks},
          {"macros_per_bank", s.macros_per_bank},
          {"macro_bytes", s.macro_bytes()},
          {"word_bits", s.word_bits},
          {"cell_type", cell_of(a, s)},
          {"idle", idle_name(s.idle)},
          {"read_pj_nominal", m.read_pj},
          {"write_pj_nominal", m.write_pj},
          {"leakage_mw_per_macro_nominal", m.leakage_mw},
          {"area_mm2_per_macro", m.area_mm2},
          {"cycle_ns_nominal", m.cycle_ns},
          {"extrapolated", m.extrapolated}};
}

// The energy components in report order, in nJ.
std::vector<std::pair<std::string, double>> components(const Energy& e) {
  return {{"weight SRAM", e.weight_sram * 1e-3}, {"index SRAM", e.index_sram * 1e-3},
          {"param SRAM", e.param_sram * 1e-3},   {"activation SRAM", e.act_sram * 1e-3},
          {"MACs", e.mac * 1e-3},                {"requant+pool", e.requant * 1e-3},
          {"registers", e.registers * 1e-3},     {"control", e.control * 1e-3},
          {"SRAM leakage", e.sram_leakage * 1e-3}, {"logic leakage", e.logic_leakage * 1e-3}};
}

// The scripts name their files relative to the output folder, where gnuplot runs (so a kept
// script can be rerun there); the folder's own path never enters a script.
bool run_gnuplot(const std::string& dir, const std::string& script_name, const std::string& script) {
  return run_gnuplot_script(script, dir + "/" + script_name, dir);
}

}  // namespace

json report_json(const SimResult& r, const model::Network& net, const Arch& a, const Tech& t, const RunInfo& info) {
  const CostReport& c = r.cost;
  json stages = json::array();
  for (size_t k = 0; k < c.stages.size(); ++k)
    stages.push_back({{"name", net.stages[k].name},
                      {"counts", counts_json(c.stages[k].events)},
                      {"energy_nj", energy_json(c.stages[k].energy)}});
  return {{"model", info.model_path},
          {"dataset", info.dataset},
          {"arch", {{"name", a.name}, {"file", a.source}, {"clock_mhz", a.clock_mhz}, {"supply_v", a.supply_v},
                    {"cell_type", a.cell_type}, {"logic_cell_type", a.logic_cell_type}, {"lanes", a.lanes},
                    {"accumulator_bits", a.accumulator_bits}, {"control_overhead", a.control_overhead},
                    {"clock_gating", a.clock_gating}, {"multiplier", multiplier_name(a.multiplier)},
                    {"positions_per_pass", a.positions_per_pass}, {"input_buffer", a.input_buffer},
                    {"zero_gating", zero_gating_name(a.zero_gating)}}},
          {"tech", t.source},
          {"clock_limit_mhz", c.clock.fmax_mhz},
          {"clock_limited_by", c.clock.limiter},
          {"sram", {{"weight", macro_json(c.macros.weight, a.weight_sram, a)}, {"index", macro_json(c.macros.index, a.index_sram, a)},
                    {"param", macro_json(c.macros.param, a.param_sram, a)}, {"act", macro_json(c.macros.act, a.act_sram, a)}}},
          {"area_mm2", {{"weight_sram", c.area.weight_sram}, {"index_sram", c.area.index_sram},
                        {"param_sram", c.area.param_sram}, {"act_sram", c.area.act_sram},
                        {"mac_array", c.area.mac_array}, {"requant_unit", c.area.requant_unit},
                        {"registers", c.area.registers}, {"control", c.area.control}, {"total", c.area.total()}}},
          {"cycles_per_classification", c.cycles},
          {"latency_us", c.latency_us},
          {"classifications_per_s", c.classifications_per_s},
          {"energy_nj_per_classification", energy_json(c.energy)},
          {"leakage_mw", c.leakage_mw},
          {"arith_energy_nj", {{"full_adder_model", c.arith_pj * 1e-3}, {"aladdin32_width_scaled_nominal", c.arith_pj_aladdin32 * 1e-3}}},
          {"images", r.images},
          {"images_checked_equal_to_inference", r.images_checked},
          {"accuracy", r.accuracy},
          {"replay_images_per_s", r.images_per_s},
          {"warnings", c.warnings},
          {"stages", stages},
          {"per_image", image_report_json(r, net, a)}};
}

std::string report_markdown(const SimResult& r, const model::Network& net, const Arch& a, const Tech& t, const RunInfo& info) {
  const CostReport& c = r.cost;
  std::ostringstream o;
  o << "# hwsim report: " << markdown_cell(info.model_path) << " on " << markdown_cell(a.name) << "\n\n";
  o << "Architecture `" << markdown_cell(a.source) << "`: " << a.lanes << " MAC lanes (" << multiplier_name(a.multiplier)
    << " multipliers), " << a.clock_mhz << " MHz at " << fmt("%.2f", a.supply_v) << " V (clock limit at this supply "
    << fmt("%.0f", c.clock.fmax_mhz) << " MHz, set by the " << c.clock.limiter << "), " << a.accumulator_bits
    << "-bit accumulators, datapath logic on " << a.logic_cell_type << " devices, clock gating "
    << (a.clock_gating ? "on" : "off") << ", control overhead " << a.control_overhead * 100
    << "% of datapath logic. Technology `" << markdown_cell(t.source)
    << "`: SRAM from CACTI 7.0 at 40 nm (interpolated linearly in log2(capacity) and in word width), scaled to the "
       "supply by (V/V_nom)^2 (dynamic) and V/V_nom (leakage); arithmetic counted in full-adder cells (Horowitz's "
       "45 nm 8-bit add, scaled to 40 nm and the supply); area, registers and logic leakage from Aladdin's 40 nm "
       "library; clock limits by the alpha-power law.\n\n";
  if (!c.warnings.empty()) {
    o << "**Warnings**\n\n";
    for (const std::string& w : c.warnings) o << "- " << markdown_cell(w) << "\n";
    o << "\n";
  }
  o << "## Summary\n\n| metric | value |\n|---|---|\n";
  o << "| area | " << fmt("%.4f", c.area.total()) << " mm2 |\n";
  o << "| clock | " << a.clock_mhz << " MHz (limit " << fmt("%.0f", c.clock.fmax_mhz) << " MHz at this supply) |\n";
  o << "| supply | " << fmt("%.2f", a.supply_v) << " V |\n";
  o << "| cycles / classification | " << c.cycles << " |\n";
  o << "| latency / classification | " << fmt("%.2f", c.latency_us) << " us |\n";
  o << "| classifications / s | " << fmt("%.0f", c.classifications_per_s) << " |\n";
  o << "| energy / classification | " << fmt("%.2f", c.energy.total() * 1e-3) << " nJ |\n";
  o << "| accuracy in simulation | " << fmt("%.2f", r.accuracy * 100) << " % (" << r.images << " images of "
    << markdown_cell(info.dataset) << "; outputs equal to the integer inference on " << r.images_checked << ") |\n";
  o << "| replay speed | " << fmt("%.0f", r.images_per_s) << " images/s |\n\n";
  o << "## Memories\n\n| memory | banks x macros | macro | word | cell | idle | read pJ at V | leakage mW per macro at V |\n"
       "|---|---|---|---|---|---|---|---|\n";
  const struct {
    const char* name;
    const SramSpec& s;
    const SramMacro& m;
  } mems[] = {{"weight", a.weight_sram, c.macros.weight},
              {"index", a.index_sram, c.macros.index},
              {"parameter", a.param_sram, c.macros.param},
              {"activation (each half)", a.act_sram, c.macros.act}};
  for (const auto& mem : mems) {
    const std::string& cell = cell_of(a, mem.s);
    const Device& d = device(t, cell);
    o << "| " << mem.name << " | " << mem.s.banks << " x " << mem.s.macros_per_bank << " | " << mem.s.macro_bytes()
      << " B | " << mem.s.word_bits << " b | " << cell << " | " << idle_name(mem.s.idle) << " | "
      << fmt("%.3f", mem.m.read_pj * dynamic_scale(a.supply_v, d.vdd_v)) << " | "
      << fmt("%.5f", mem.m.leakage_mw * leakage_scale(a.supply_v, d.vdd_v)) << " |\n";
  }
  o << "\n## Area (mm2)\n\n| part | mm2 |\n|---|---|\n";
  o << "| weight SRAM (" << a.weight_sram.macros() << " x " << a.weight_sram.macro_bytes() << " B x "
    << a.weight_sram.word_bits << " b) | " << fmt("%.4f", c.area.weight_sram) << " |\n";
  o << "| index SRAM | " << fmt("%.4f", c.area.index_sram) << " |\n";
  o << "| parameter SRAM | " << fmt("%.4f", c.area.param_sram) << " |\n";
  o << "| activation SRAM (ping-pong) | " << fmt("%.4f", c.area.act_sram) << " |\n";
  o << "| MAC array | " << fmt("%.4f", c.area.mac_array) << " |\n";
  o << "| requantization unit | " << fmt("%.4f", c.area.requant_unit) << " |\n";
  o << "| registers | " << fmt("%.4f", c.area.registers) << " |\n";
  o << "| control | " << fmt("%.4f", c.area.control) << " |\n";
  o << "| **total** | " << fmt("%.4f", c.area.total()) << " |\n\n";
  o << "## Energy per classification (nJ)\n\n| component | nJ | share |\n|---|---|---|\n";
  for (const auto& [name, nj] : components(c.energy))
    o << "| " << name << " | " << fmt("%.3f", nj) << " | " << fmt("%.1f", 100 * nj / (c.energy.total() * 1e-3)) << " % |\n";
  o << "| **total** | " << fmt("%.3f", c.energy.total() * 1e-3) << " | |\n\n";
  o << "Leakage power with every macro on " << fmt("%.4f", c.leakage_mw) << " mW (SRAM and datapath logic, at "
    << fmt("%.2f", a.supply_v) << " V). Arithmetic (MACs, requantization) " << fmt("%.3f", c.arith_pj * 1e-3)
    << " nJ with the full-adder model; the former model (Aladdin's 32-bit units scaled by operand widths, nominal "
       "supply) gives "
    << fmt("%.3f", c.arith_pj_aladdin32 * 1e-3) << " nJ (cross-check).\n\n";
  o << "## Per stage\n\n| stage | cycles | MACs | weight reads | index reads | act reads | act writes | energy nJ |\n"
       "|---|---|---|---|---|---|---|---|\n";
  for (size_t k = 0; k < c.stages.size(); ++k) {
    const EventCounts& e = c.stages[k].events;
    o << "| " << markdown_cell(net.stages[k].name) << " | " << e.cycles() << " | " << e.macs << " | " << e.weight_reads << " | "
      << e.index_reads << " | " << e.act_reads << " | " << e.act_writes << " | "
      << fmt("%.3f", c.stages[k].energy.total() * 1e-3) << " |\n";
  }
  o << "\n" << image_report_markdown(r, net, a);
  return o.str();
}

std::string stages_csv(const SimResult& r, const model::Network& net) {
  std::ostringstream o;
  o << "stage,cycles,macs,weight_reads,index_reads,param_reads,act_reads,act_writes,acc_updates,requants,"
       "energy_weight_sram_nj,energy_index_sram_nj,energy_param_sram_nj,energy_act_sram_nj,energy_mac_nj,"
       "energy_requant_nj,energy_registers_nj,energy_control_nj,energy_sram_leakage_nj,energy_logic_leakage_nj,"
       "energy_total_nj\n";
  for (size_t k = 0; k < r.cost.stages.size(); ++k) {
    const EventCounts& e = r.cost.stages[k].events;
    const Energy& en = r.cost.stages[k].energy;
    o << csv_cell(net.stages[k].name) << "," << e.cycles() << "," << e.macs << "," << e.weight_reads << "," << e.index_reads << ","
      << e.param_reads << "," << e.act_reads << "," << e.act_writes << "," << e.acc_updates << "," << e.requants;
    for (double v : {en.weight_sram, en.index_sram, en.param_sram, en.act_sram, en.mac, en.requant, en.registers,
                     en.control, en.sram_leakage, en.logic_leakage, en.total()})
      o << "," << fmt("%.6f", v * 1e-3);
    o << "\n";
  }
  return o.str();
}

std::string report_summary(const SimResult& r, const Arch& a) {
  const CostReport& c = r.cost;
  std::ostringstream o;
  o << "hwsim " << printable(a.name) << ": area " << fmt("%.4f", c.area.total()) << " mm2, " << c.cycles << " cycles/classification ("
    << fmt("%.2f", c.latency_us) << " us at " << a.clock_mhz << " MHz and " << fmt("%.2f", a.supply_v)
    << " V, limit " << fmt("%.0f", c.clock.fmax_mhz) << " MHz; " << fmt("%.0f", c.classifications_per_s)
    << " classifications/s), " << fmt("%.2f", c.energy.total() * 1e-3) << " nJ/classification\n";
  o << "  energy nJ:";
  for (const auto& [name, nj] : components(c.energy)) o << " " << name << " " << fmt("%.3f", nj) << ";";
  o << "\n  accuracy in simulation " << fmt("%.2f", r.accuracy * 100) << " % on " << r.images
    << " images (all equal to the integer inference); replay " << fmt("%.0f", r.images_per_s) << " images/s\n";
  o << image_report_summary(r, a);
  for (const std::string& w : c.warnings) o << "  warning: " << printable(w) << "\n";
  return o.str();
}

std::vector<std::string> write_reports(const std::string& out_dir, const SimResult& r, const model::Network& net,
                                       const Arch& a, const Tech& t, const RunInfo& info) {
  make_dirs(out_dir);
  write_file_atomic(out_dir + "/report.md", report_markdown(r, net, a, t, info));
  write_file_atomic(out_dir + "/stages.csv", stages_csv(r, net));
  // A design that gates zero operands is plotted as it runs: the mean over the images simulated;
  // otherwise the data-independent counts.
  const bool gated = a.zero_gating != ZeroGating::None && !r.per_image.empty();
  Energy energy = r.cost.energy;
  std::vector<double> stage_nj;
  for (const StageCost& s : r.cost.stages) stage_nj.push_back(s.energy.total() * 1e-3);
  double scale = 1;
  std::string title_suffix;
  if (gated) {
    energy = Energy{};
    std::fill(stage_nj.begin(), stage_nj.end(), 0.0);
    for (const ImageCost& c : r.per_image) {
      energy += c.energy;
      for (size_t k = 0; k < stage_nj.size(); ++k) stage_nj[k] += c.stages[k].total() * 1e-3;
    }
    scale = 1.0 / static_cast<double>(r.per_image.size());
    for (double& v : stage_nj) v *= scale;
    title_suffix = std::string(", zero_gating ") + zero_gating_name(a.zero_gating) + ": mean over " +
                   std::to_string(r.per_image.size()) + " images";
  }
  std::ostringstream comp, stages;
  for (const auto& [name, nj] : components(energy)) comp << gnuplot_data_field(name) << " " << fmt("%.6f", nj * scale) << "\n";
  for (size_t k = 0; k < stage_nj.size(); ++k)
    stages << gnuplot_data_field(net.stages[k].name) << " " << fmt("%.6f", stage_nj[k]) << "\n";
  write_file_atomic(out_dir + "/energy_components.dat", comp.str());
  write_file_atomic(out_dir + "/energy_stages.dat", stages.str());
  const std::string script =
      "set terminal pngcairo size 900,500\nset style data histograms\nset style fill solid 0.8\nset boxwidth 0.8\n"
      "set ylabel 'nJ per classification'\nset xtics rotate by -30\nunset key\n"
      "set output 'energy_components.png'\nset title 'Energy per component" + title_suffix + "' noenhanced\n"
      "plot 'energy_components.dat' using 2:xtic(1)\n"
      "set output 'energy_stages.png'\nset title 'Energy per stage" + title_suffix + "' noenhanced\n"
      "plot 'energy_stages.dat' using 2:xtic(1)\n";
  const bool plotted = run_gnuplot(out_dir, "plots.gnuplot", script);
  // report.json last: its presence says the simulation's report is complete (a sweep counts a
  // run as simulated by it).
  write_file_atomic(out_dir + "/report.json", report_json(r, net, a, t, info).dump(2) + "\n");
  if (plotted) return {"energy_components.png", "energy_stages.png"};
  return {};
}

SweepAxis parse_sweep(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos) fail_input("--sweep " + spec, "expected key=v1,v2,...");
  SweepAxis axis;
  axis.key = spec.substr(0, eq);
  if (axis.key != "lanes" && axis.key != "freq" && axis.key != "supply" && axis.key != "weight_banks" &&
      axis.key != "weight_word_bits" && axis.key != "accumulator_bits")
    fail_input("--sweep " + spec, "unknown key '" + axis.key +
                                      "' (known: lanes, freq, supply, weight_banks, weight_word_bits, accumulator_bits)");
  std::stringstream ss(spec.substr(eq + 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const double v = std::stod(item, &used);
      // Counts become ints (lanes, banks, bits): larger values would not convert.
      if (used != item.size() || !(v > 0) || !(v <= 2147483647.0)) throw std::invalid_argument(item);
      axis.values.push_back(v);
    } catch (const std::exception&) {
      fail_input("--sweep " + spec, "bad value '" + item + "' (positive numbers up to 2147483647 expected)");
    }
  }
  if (axis.values.empty()) fail_input("--sweep " + spec, "no values");
  return axis;
}

void check_sweep_axes(const Arch& base, const std::vector<SweepAxis>& axes) {
  for (size_t i = 0; i < axes.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (axes[j].key == axes[i].key)
        fail_input("--sweep " + axes[i].key, "given twice (list every value once: --sweep " + axes[i].key + "=v1,v2,...)");
    for (const double v : axes[i].values) {
      Arch a = base;
      apply_sweep_value(a, axes[i].key, v);
      validate_arch(a, "--sweep " + axes[i].key + "=" + fmt("%g", v));
    }
  }
}

void apply_sweep_value(Arch& a, const std::string& key, double value) {
  if (key == "lanes") a.lanes = static_cast<int>(value);
  if (key == "freq") a.clock_mhz = value;
  if (key == "supply") a.supply_v = value;
  if (key == "weight_banks") {
    a.weight_sram.capacity_bytes = a.weight_sram.capacity_bytes / a.weight_sram.banks * static_cast<int64_t>(value);
    a.weight_sram.banks = static_cast<int>(value);
  }
  if (key == "weight_word_bits") a.weight_sram.word_bits = static_cast<int>(value);
  if (key == "accumulator_bits") a.accumulator_bits = static_cast<int>(value);
}

std::vector<SweepPoint> run_sweep(const model::Network& net, const Arch& base, const Tech& t,
                                  const std::vector<SweepAxis>& axes, const ImageSet& images) {
  std::vector<SweepPoint> points;
  std::vector<size_t> idx(axes.size(), 0);
  while (true) {
    SweepPoint p;
    Arch a = base;
    for (size_t i = 0; i < axes.size(); ++i) {
      p.values.push_back(axes[i].values[idx[i]]);
      apply_sweep_value(a, axes[i].key, axes[i].values[idx[i]]);
    }
    try {
      validate_arch(a, "sweep point");
      const DesignPrice c = price_design(net, a, t, images);
      p.energy_nj = c.energy_nj;
      p.area_mm2 = c.area_mm2;
      p.classifications_per_s = c.classifications_per_s;
      p.latency_us = c.latency_us;
    } catch (const InputError& e) {
      p.fits = false;
      p.problem = e.what();
    }
    points.push_back(p);
    size_t i = 0;
    for (; i < axes.size(); ++i) {
      if (++idx[i] < axes[i].values.size()) break;
      idx[i] = 0;
    }
    if (i == axes.size()) break;
  }
  return points;
}

std::vector<std::string> write_sweep(const std::string& out_dir, const std::vector<SweepAxis>& axes,
                                     const std::vector<SweepPoint>& points) {
  make_dirs(out_dir);
  std::ostringstream o, dat;
  for (const SweepAxis& a : axes) o << a.key << ",";
  o << "fits,energy_nj,area_mm2,classifications_per_s,latency_us,problem\n";
  for (size_t n = 0; n < points.size(); ++n) {
    const SweepPoint& p = points[n];
    std::string label;
    for (size_t i = 0; i < p.values.size(); ++i) {
      o << fmt("%g", p.values[i]) << ",";
      label += (i ? " " : "") + axes[i].key + "=" + fmt("%g", p.values[i]);
    }
    o << (p.fits ? 1 : 0) << "," << fmt("%.6f", p.energy_nj) << "," << fmt("%.6f", p.area_mm2) << ","
      << fmt("%.1f", p.classifications_per_s) << "," << fmt("%.4f", p.latency_us) << "," << csv_cell(p.problem) << "\n";
    if (p.fits)
      dat << gnuplot_data_field(label) << " " << fmt("%.6f", p.energy_nj) << " " << fmt("%.6f", p.area_mm2) << " "
          << fmt("%.3f", p.classifications_per_s / 1000.0) << "\n";
  }
  write_file_atomic(out_dir + "/sweep.csv", o.str());
  write_file_atomic(out_dir + "/sweep.dat", dat.str());
  const std::string script =
      "set terminal pngcairo size 1000,900\nset output 'sweep.png'\nset multiplot layout 3,1\n"
      "set style data histograms\nset style fill solid 0.8\nunset key\nset xtics rotate by -20 font ',8'\n"
      "set ylabel 'nJ / classification'\nplot 'sweep.dat' using 2:xtic(1)\n"
      "set ylabel 'area mm2'\nplot 'sweep.dat' using 3:xtic(1)\n"
      "set ylabel 'k classifications / s'\nplot 'sweep.dat' using 4:xtic(1)\nunset multiplot\n";
  if (run_gnuplot(out_dir, "sweep.gnuplot", script)) return {"sweep.png"};
  return {};
}

}  // namespace bitblock::hwsim
