#pragma once
// hwsim reports: report.json, report.md (area with breakdown, clock, cycles and latency per
// classification, classifications/s, energy per classification with breakdown, accuracy in
// simulation, per-stage table), stages.csv, PNG plots via gnuplot when installed; and
// architecture sweeps (sweep.csv + plot).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitblock/hwsim/simulate.hpp"
#include "bitblock/hwsim/tech.hpp"

namespace bitblock::hwsim {

struct RunInfo {
  std::string model_path, dataset;
};

nlohmann::json report_json(const SimResult& r, const model::Network& net, const Arch& a, const Tech& t, const RunInfo& info);
std::string report_markdown(const SimResult& r, const model::Network& net, const Arch& a, const Tech& t, const RunInfo& info);
std::string stages_csv(const SimResult& r, const model::Network& net);
// A few lines for the terminal.
std::string report_summary(const SimResult& r, const Arch& a);
// Writes report.md, stages.csv, if gnuplot runs energy_components.png and energy_stages.png (a
// design with zero gating: the mean over the images; otherwise the data-independent figures), and
// last report.json (each atomically) into out_dir (created): a report.json says the rest is
// there. Returns the names of the plots written.
std::vector<std::string> write_reports(const std::string& out_dir, const SimResult& r, const model::Network& net,
                                       const Arch& a, const Tech& t, const RunInfo& info);

// --sweep key=v1,v2,...: keys lanes, freq (clock_mhz), supply (supply_v), weight_banks,
// weight_word_bits, accumulator_bits. InputError naming the option for anything else.
struct SweepAxis {
  std::string key;
  std::vector<double> values;
};
SweepAxis parse_sweep(const std::string& spec);
void apply_sweep_value(Arch& a, const std::string& key, double value);
// Each value of each axis applied alone to the base architecture must pass validate_arch (the
// ranges a YAML file is held to), and each key may have one axis: InputError naming
// "--sweep <key>=<value>" or "--sweep <key>" otherwise.
void check_sweep_axes(const Arch& base, const std::vector<SweepAxis>& axes);

struct SweepPoint {
  std::vector<double> values;   // one per axis
  bool fits = true;
  std::string problem;          // why it does not fit
  double energy_nj = 0, area_mm2 = 0, classifications_per_s = 0, latency_us = 0;
};
// Every combination of the axes, each priced by price_design (simulate.hpp): the data-independent
// counts, or with the arch's zero_gating the mean over `images` (replayed per point: the counts
// of a gated design depend on both the data and the arch).
std::vector<SweepPoint> run_sweep(const model::Network& net, const Arch& base, const Tech& t,
                                  const std::vector<SweepAxis>& axes, const ImageSet& images = {});
// sweep.csv and, if gnuplot runs, sweep.png. Returns the plot names written.
std::vector<std::string> write_sweep(const std::string& out_dir, const std::vector<SweepAxis>& axes,
                                     const std::vector<SweepPoint>& points);

}  // namespace bitblock::hwsim
