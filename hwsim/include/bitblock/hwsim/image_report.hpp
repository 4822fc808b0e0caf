#pragma once
// The data-dependent part of the hwsim report: energy and cycles per image under the arch's
// zero_gating (mean, 5th and 95th percentile over the images simulated; per stage and per
// component) and the technology band of the mean with and without gating (band.hpp).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitblock/hwsim/simulate.hpp"

namespace bitblock::hwsim {

struct Spread {
  double mean = 0, p5 = 0, p95 = 0;
};
// Percentiles interpolate linearly between order statistics (position q x (n - 1)); all zero
// for no values.
Spread spread(std::vector<double> values);

nlohmann::json image_report_json(const SimResult& r, const model::Network& net, const Arch& a);
std::string image_report_markdown(const SimResult& r, const model::Network& net, const Arch& a);
// One line for the terminal: the band and, with gating, the per-image mean and spread.
std::string image_report_summary(const SimResult& r, const Arch& a);

}  // namespace bitblock::hwsim
