#include "bitblock/hwsim/image_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "number_text.hpp"

namespace bitblock::hwsim {

namespace {

using nlohmann::json;

// The components of an Energy in report order (pJ).
std::vector<std::pair<std::string, double Energy::*>> component_fields() {
  return {{"weight_sram", &Energy::weight_sram}, {"index_sram", &Energy::index_sram},
          {"param_sram", &Energy::param_sram},   {"act_sram", &Energy::act_sram},
          {"mac", &Energy::mac},                 {"requant", &Energy::requant},
          {"registers", &Energy::registers},     {"control", &Energy::control},
          {"sram_leakage", &Energy::sram_leakage}, {"logic_leakage", &Energy::logic_leakage}};
}

template <typename F>
Spread over_images(const SimResult& r, F value) {
  std::vector<double> v;
  v.reserve(r.per_image.size());
  for (const ImageCost& c : r.per_image) v.push_back(value(c));
  return spread(std::move(v));
}

json spread_json(const Spread& s) { return {{"mean", s.mean}, {"p5", s.p5}, {"p95", s.p95}}; }

json band_json(const EnergyBand& b) {
  auto point = [](const BandPoint& p) {
    return json{{"energy_nj", p.energy_nj}, {"supply_v", p.supply_v}, {"clock_mhz", p.clock_mhz},
                {"control_overhead", p.control_overhead}};
  };
  return {{"low", point(b.low)}, {"nominal", point(b.nominal)}, {"high", point(b.high)}};
}

std::string spread_text(const Spread& s, const char* f) {
  return fmt(f, s.mean) + " (" + fmt(f, s.p5) + " .. " + fmt(f, s.p95) + ")";
}

std::string band_row(const char* what, const EnergyBand& b) {
  std::ostringstream o;
  o << "| " << what << " | " << fmt("%.2f", b.low.energy_nj) << " (" << fmt("%.2f", b.low.supply_v) << " V, "
    << fmt("%.0f", b.low.clock_mhz) << " MHz) | " << fmt("%.2f", b.nominal.energy_nj) << " | "
    << fmt("%.2f", b.high.energy_nj) << " (" << fmt("%.2f", b.high.supply_v) << " V, " << fmt("%.0f", b.high.clock_mhz)
    << " MHz) |\n";
  return o.str();
}

}  // namespace

Spread spread(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / double(v.size());
  auto q = [&](double p) {
    const double h = p * double(v.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(h));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (h - double(lo));
  };
  s.p5 = q(0.05);
  s.p95 = q(0.95);
  return s;
}

json image_report_json(const SimResult& r, const model::Network& net, const Arch& a) {
  json comps = json::object();
  for (const auto& [name, field] : component_fields())
    comps[name] = spread_json(over_images(r, [f = field](const ImageCost& c) { return c.energy.*f * 1e-3; }));
  json stages = json::array();
  for (size_t k = 0; k < net.stages.size() && !r.per_image.empty(); ++k)
    stages.push_back(
        {{"name", net.stages[k].name},
         {"energy_nj", spread_json(over_images(r, [k](const ImageCost& c) { return c.stages[k].total() * 1e-3; }))},
         {"cycles", spread_json(over_images(r, [k](const ImageCost& c) { return double(c.cycles[k]); }))}});
  return {{"zero_gating", zero_gating_name(a.zero_gating)},
          {"images", r.per_image.size()},
          {"energy_nj", spread_json(over_images(r, [](const ImageCost& c) { return c.energy.total() * 1e-3; }))},
          {"cycles", spread_json(over_images(r, [](const ImageCost& c) { return double(c.total_cycles); }))},
          {"components_nj", comps},
          {"stages", stages},
          {"band_nj", band_json(r.band)},
          {"band_nj_without_gating", band_json(r.band_ungated)}};
}

std::string image_report_markdown(const SimResult& r, const model::Network& net, const Arch& a) {
  std::ostringstream o;
  o << "## Energy per image (zero_gating " << zero_gating_name(a.zero_gating) << ")\n\n";
  if (r.per_image.empty()) {
    o << "No images simulated.\n\n";
  } else {
    o << "Mean (5th .. 95th percentile) over " << r.per_image.size() << " images. "
      << (a.zero_gating == ZeroGating::None
              ? "Without zero gating every image costs the same (the sections above).\n\n"
              : "The sections above give the same design without zero gating (data-independent).\n\n");
    o << "| | energy nJ | cycles |\n|---|---|---|\n";
    o << "| **classification** | "
      << spread_text(over_images(r, [](const ImageCost& c) { return c.energy.total() * 1e-3; }), "%.3f") << " | "
      << spread_text(over_images(r, [](const ImageCost& c) { return double(c.total_cycles); }), "%.0f") << " |\n";
    for (size_t k = 0; k < net.stages.size(); ++k)
      o << "| stage " << net.stages[k].name << " | "
        << spread_text(over_images(r, [k](const ImageCost& c) { return c.stages[k].total() * 1e-3; }), "%.3f") << " | "
        << spread_text(over_images(r, [k](const ImageCost& c) { return double(c.cycles[k]); }), "%.0f") << " |\n";
    for (const auto& [name, field] : component_fields())
      o << "| " << name << " | "
        << spread_text(over_images(r, [f = field](const ImageCost& c) { return c.energy.*f * 1e-3; }), "%.3f")
        << " | |\n";
    o << "\n";
  }
  o << "## Technology band (nJ per classification)\n\n"
       "Every constant of the tech file's `band:` at its low end, nominal, and high end (supply and clock as the "
       "design runs at that end).\n\n| counts | low | nominal | high |\n|---|---|---|---|\n";
  o << band_row("without zero gating", r.band_ungated);
  if (a.zero_gating != ZeroGating::None) o << band_row(("zero_gating " + std::string(zero_gating_name(a.zero_gating))).c_str(), r.band);
  o << "\n";
  return o.str();
}

std::string image_report_summary(const SimResult& r, const Arch& a) {
  std::ostringstream o;
  o << "  band (tech constants low .. high): " << fmt("%.2f", r.band_ungated.low.energy_nj) << " .. "
    << fmt("%.2f", r.band_ungated.high.energy_nj) << " nJ without zero gating\n";
  if (a.zero_gating != ZeroGating::None && !r.per_image.empty())
    o << "  zero_gating " << zero_gating_name(a.zero_gating) << ": "
      << spread_text(over_images(r, [](const ImageCost& c) { return c.energy.total() * 1e-3; }), "%.2f")
      << " nJ per image (mean, p5 .. p95); band " << fmt("%.2f", r.band.low.energy_nj) << " .. "
      << fmt("%.2f", r.band.nominal.energy_nj) << " .. " << fmt("%.2f", r.band.high.energy_nj) << " nJ\n";
  return o.str();
}

}  // namespace bitblock::hwsim
