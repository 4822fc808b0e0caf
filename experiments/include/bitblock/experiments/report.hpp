#pragma once
// `bitblock report`: a sweep's results as a Markdown section (table with the Pareto front marked)
// and plots (gnuplot, PNG + SVG): accuracy vs weight memory (log scale) with the front and point
// labels, accuracy vs energy when the runs were simulated, weight memory per layer of the runs on
// the front.
#include <string>
#include <vector>

#include "bitblock/experiments/results.hpp"

namespace bitblock::experiments {

struct ReportFiles {
  std::string markdown;                // the section
  std::vector<std::string> plots;      // files written
};

// plots_dir: where plots go; link_dir: how the Markdown refers to plots_dir (relative path).
ReportFiles sweep_report(const std::string& sweep_dir, const std::vector<ResultRow>& rows, const std::string& plots_dir,
                         const std::string& link_dir);

// "3 block 8" style label of a run from its grid values.
std::string run_label(const ResultRow& row);

}  // namespace bitblock::experiments
