#include "bitblock/hwsim/report.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock::hwsim {

namespace {

using nlohmann::json;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

json energy_json(const Energy& e) {
  return {{"weight_sram", e.weight_sram * 1e-3}, {"index_sram", e.index_sram * 1e-3}, {"param_sram", e.param_sram * 1e-3},
          {"act_sram", e.act_sram * 1e-3},       {"mac", e.mac * 1e-3},               {"requant", e.requant * 1e-3},
          {"registers", e.registers * 1e-3},     {"control", e.control * 1e-3},       {"leakage", e.leakage * 1e-3},
          {"total", e.total() * 1e-3}};
}

json counts_json(const EventCounts& e) {
  return {{"weight_reads", e.weight_reads}, {"index_reads", e.index_reads}, {"param_reads", e.param_reads},
          {"act_reads", e.act_reads},       {"act_writes", e.act_writes},   {"macs", e.macs},
          {"acc_updates", e.acc_updates},   {"operand_bits", e.operand_bits}, {"requants", e.requants},
          {"pool_compares", e.pool_compares}, {"output_reg_bits", e.output_reg_bits}, {"mac_cycles", e.mac_cycles},
          {"requant_cycles", e.requant_cycles}, {"load_cycles", e.load_cycles}, {"cycles", e.cycles()}};
}

json macro_json(const SramMacro& m, const SramSpec& s) {
  return {{"banks", s.banks},        {"bank_bytes", s.bank_bytes()}, {"word_bits", s.word_bits},
          {"read_pj", m.read_pj},    {"write_pj", m.write_pj},       {"leakage_mw_per_bank", m.leakage_mw},
          {"area_mm2_per_bank", m.area_mm2}, {"cycle_ns", m.cycle_ns}, {"extrapolated", m.extrapolated}};
}

// The energy components in report order, in nJ.
std::vector<std::pair<std::string, double>> components(const Energy& e) {
  return {{"weight SRAM", e.weight_sram * 1e-3}, {"index SRAM", e.index_sram * 1e-3},
          {"param SRAM", e.param_sram * 1e-3},   {"activation SRAM", e.act_sram * 1e-3},
          {"MACs", e.mac * 1e-3},                {"requant+pool", e.requant * 1e-3},
          {"registers", e.registers * 1e-3},     {"control", e.control * 1e-3},
          {"leakage", e.leakage * 1e-3}};
}

bool run_gnuplot(const std::string& dir, const std::string& script_name, const std::string& script) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) return false;
  write_file_atomic(dir + "/" + script_name, script);
  const std::string cmd = "cd '" + dir + "' && gnuplot '" + script_name + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
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
                    {"cell_type", a.cell_type}, {"lanes", a.lanes}, {"accumulator_bits", a.accumulator_bits},
                    {"control_overhead", a.control_overhead}}},
          {"tech", t.source},
          {"sram", {{"weight", macro_json(c.macros.weight, a.weight_sram)}, {"index", macro_json(c.macros.index, a.index_sram)},
                    {"param", macro_json(c.macros.param, a.param_sram)}, {"act", macro_json(c.macros.act, a.act_sram)}}},
          {"area_mm2", {{"weight_sram", c.area.weight_sram}, {"index_sram", c.area.index_sram},
                        {"param_sram", c.area.param_sram}, {"act_sram", c.area.act_sram},
                        {"mac_array", c.area.mac_array}, {"requant_unit", c.area.requant_unit},
                        {"registers", c.area.registers}, {"control", c.area.control}, {"total", c.area.total()}}},
          {"cycles_per_classification", c.cycles},
          {"latency_us", c.latency_us},
          {"classifications_per_s", c.classifications_per_s},
          {"energy_nj_per_classification", energy_json(c.energy)},
          {"leakage_mw", c.leakage_mw},
          {"arith_energy_nj", {{"aladdin_40nm", c.arith_pj_aladdin * 1e-3}, {"horowitz_45nm", c.arith_pj_horowitz45 * 1e-3}}},
          {"images", r.images},
          {"images_checked_equal_to_inference", r.images_checked},
          {"accuracy", r.accuracy},
          {"replay_images_per_s", r.images_per_s},
          {"warnings", c.warnings},
          {"stages", stages}};
}

std::string report_markdown(const SimResult& r, const model::Network& net, const Arch& a, const Tech& t, const RunInfo& info) {
  const CostReport& c = r.cost;
  std::ostringstream o;
  o << "# hwsim report: " << info.model_path << " on " << a.name << "\n\n";
  o << "Architecture `" << a.source << "`: " << a.lanes << " MAC lanes, " << a.clock_mhz << " MHz (" << a.supply_v
    << " V, " << a.cell_type << " SRAM), " << a.accumulator_bits << "-bit accumulators, control overhead "
    << a.control_overhead * 100 << "% of datapath logic. Technology `" << t.source
    << "`: SRAM from CACTI 7.0 at 40 nm (interpolated linearly in log2(capacity) and in word width), logic "
       "from Aladdin's 40 nm characterisation, width-scaled.\n\n";
  if (!c.warnings.empty()) {
    o << "**Warnings**\n\n";
    for (const std::string& w : c.warnings) o << "- " << w << "\n";
    o << "\n";
  }
  o << "## Summary\n\n| metric | value |\n|---|---|\n";
  o << "| area | " << fmt("%.4f", c.area.total()) << " mm2 |\n";
  o << "| clock | " << a.clock_mhz << " MHz |\n";
  o << "| cycles / classification | " << c.cycles << " |\n";
  o << "| latency / classification | " << fmt("%.2f", c.latency_us) << " us |\n";
  o << "| classifications / s | " << fmt("%.0f", c.classifications_per_s) << " |\n";
  o << "| energy / classification | " << fmt("%.2f", c.energy.total() * 1e-3) << " nJ |\n";
  o << "| accuracy in simulation | " << fmt("%.2f", r.accuracy * 100) << " % (" << r.images << " images of "
    << info.dataset << "; outputs equal to the integer inference on " << r.images_checked << ") |\n";
  o << "| replay speed | " << fmt("%.0f", r.images_per_s) << " images/s |\n\n";
  o << "## Area (mm2)\n\n| part | mm2 |\n|---|---|\n";
  o << "| weight SRAM (" << a.weight_sram.banks << " x " << a.weight_sram.bank_bytes() << " B x " << a.weight_sram.word_bits
    << " b) | " << fmt("%.4f", c.area.weight_sram) << " |\n";
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
  o << "Leakage power " << fmt("%.4f", c.leakage_mw) << " mW (SRAM; logic leakage not modelled). Arithmetic energy "
    << fmt("%.3f", c.arith_pj_aladdin * 1e-3) << " nJ with Aladdin 40 nm figures; "
    << fmt("%.3f", c.arith_pj_horowitz45 * 1e-3) << " nJ with Horowitz's 45 nm figures (cross-check).\n\n";
  o << "## Per stage\n\n| stage | cycles | MACs | weight reads | index reads | act reads | act writes | energy nJ |\n"
       "|---|---|---|---|---|---|---|---|\n";
  for (size_t k = 0; k < c.stages.size(); ++k) {
    const EventCounts& e = c.stages[k].events;
    o << "| " << net.stages[k].name << " | " << e.cycles() << " | " << e.macs << " | " << e.weight_reads << " | "
      << e.index_reads << " | " << e.act_reads << " | " << e.act_writes << " | "
      << fmt("%.3f", c.stages[k].energy.total() * 1e-3) << " |\n";
  }
  return o.str();
}

std::string stages_csv(const SimResult& r, const model::Network& net) {
  std::ostringstream o;
  o << "stage,cycles,macs,weight_reads,index_reads,param_reads,act_reads,act_writes,acc_updates,requants,"
       "energy_weight_sram_nj,energy_index_sram_nj,energy_param_sram_nj,energy_act_sram_nj,energy_mac_nj,"
       "energy_requant_nj,energy_registers_nj,energy_control_nj,energy_leakage_nj,energy_total_nj\n";
  for (size_t k = 0; k < r.cost.stages.size(); ++k) {
    const EventCounts& e = r.cost.stages[k].events;
    const Energy& en = r.cost.stages[k].energy;
    o << net.stages[k].name << "," << e.cycles() << "," << e.macs << "," << e.weight_reads << "," << e.index_reads << ","
      << e.param_reads << "," << e.act_reads << "," << e.act_writes << "," << e.acc_updates << "," << e.requants;
    for (double v : {en.weight_sram, en.index_sram, en.param_sram, en.act_sram, en.mac, en.requant, en.registers,
                     en.control, en.leakage, en.total()})
      o << "," << fmt("%.6f", v * 1e-3);
    o << "\n";
  }
  return o.str();
}

std::string report_summary(const SimResult& r, const Arch& a) {
  const CostReport& c = r.cost;
  std::ostringstream o;
  o << "hwsim " << a.name << ": area " << fmt("%.4f", c.area.total()) << " mm2, " << c.cycles << " cycles/classification ("
    << fmt("%.2f", c.latency_us) << " us at " << a.clock_mhz << " MHz, " << fmt("%.0f", c.classifications_per_s)
    << " classifications/s), " << fmt("%.2f", c.energy.total() * 1e-3) << " nJ/classification\n";
  o << "  energy nJ:";
  for (const auto& [name, nj] : components(c.energy)) o << " " << name << " " << fmt("%.3f", nj) << ";";
  o << "\n  accuracy in simulation " << fmt("%.2f", r.accuracy * 100) << " % on " << r.images
    << " images (all equal to the integer inference); replay " << fmt("%.0f", r.images_per_s) << " images/s\n";
  for (const std::string& w : c.warnings) o << "  warning: " << w << "\n";
  return o.str();
}

std::vector<std::string> write_reports(const std::string& out_dir, const SimResult& r, const model::Network& net,
                                       const Arch& a, const Tech& t, const RunInfo& info) {
  make_dirs(out_dir);
  write_file_atomic(out_dir + "/report.json", report_json(r, net, a, t, info).dump(2) + "\n");
  write_file_atomic(out_dir + "/report.md", report_markdown(r, net, a, t, info));
  write_file_atomic(out_dir + "/stages.csv", stages_csv(r, net));
  std::ostringstream comp, stages;
  for (const auto& [name, nj] : components(r.cost.energy)) comp << "\"" << name << "\" " << fmt("%.6f", nj) << "\n";
  for (size_t k = 0; k < r.cost.stages.size(); ++k)
    stages << "\"" << net.stages[k].name << "\" " << fmt("%.6f", r.cost.stages[k].energy.total() * 1e-3) << "\n";
  write_file_atomic(out_dir + "/energy_components.dat", comp.str());
  write_file_atomic(out_dir + "/energy_stages.dat", stages.str());
  const std::string script =
      "set terminal pngcairo size 900,500\nset style data histograms\nset style fill solid 0.8\nset boxwidth 0.8\n"
      "set ylabel 'nJ per classification'\nset xtics rotate by -30\nunset key\n"
      "set output 'energy_components.png'\nset title 'Energy per component'\n"
      "plot 'energy_components.dat' using 2:xtic(1)\n"
      "set output 'energy_stages.png'\nset title 'Energy per stage'\nplot 'energy_stages.dat' using 2:xtic(1)\n";
  if (run_gnuplot(out_dir, "plots.gnuplot", script)) return {"energy_components.png", "energy_stages.png"};
  return {};
}

SweepAxis parse_sweep(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos) fail_input("--sweep " + spec, "expected key=v1,v2,...");
  SweepAxis axis;
  axis.key = spec.substr(0, eq);
  if (axis.key != "lanes" && axis.key != "freq" && axis.key != "weight_banks" && axis.key != "weight_word_bits" &&
      axis.key != "accumulator_bits")
    fail_input("--sweep " + spec, "unknown key '" + axis.key +
                                      "' (known: lanes, freq, weight_banks, weight_word_bits, accumulator_bits)");
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

void apply_sweep_value(Arch& a, const std::string& key, double value) {
  if (key == "lanes") a.lanes = static_cast<int>(value);
  if (key == "freq") a.clock_mhz = value;
  if (key == "weight_banks") {
    a.weight_sram.capacity_bytes = a.weight_sram.capacity_bytes / a.weight_sram.banks * static_cast<int64_t>(value);
    a.weight_sram.banks = static_cast<int>(value);
  }
  if (key == "weight_word_bits") a.weight_sram.word_bits = static_cast<int>(value);
  if (key == "accumulator_bits") a.accumulator_bits = static_cast<int>(value);
}

std::vector<SweepPoint> run_sweep(const model::Network& net, const Arch& base, const Tech& t,
                                  const std::vector<SweepAxis>& axes) {
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
      check_model_fits(a, net);
      const CostReport c = estimate_cost(a, t, count_events(net, a));
      p.energy_nj = c.energy.total() * 1e-3;
      p.area_mm2 = c.area.total();
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
    std::string problem = p.problem;
    for (char& ch : problem)
      if (ch == '"') ch = '\'';
    o << (p.fits ? 1 : 0) << "," << fmt("%.6f", p.energy_nj) << "," << fmt("%.6f", p.area_mm2) << ","
      << fmt("%.1f", p.classifications_per_s) << "," << fmt("%.4f", p.latency_us) << ",\"" << problem << "\"\n";
    if (p.fits)
      dat << "\"" << label << "\" " << fmt("%.6f", p.energy_nj) << " " << fmt("%.6f", p.area_mm2) << " "
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
