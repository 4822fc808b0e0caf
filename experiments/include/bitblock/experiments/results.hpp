#pragma once
// results.csv of a sweep: one row per finished run, rebuilt from the run folders alone (each
// holds sweep_point.json, summary.json and, when simulated, hwsim/report.json), so runs made by
// separate processes or Slurm array tasks merge by reading the folders.
#include <map>
#include <string>
#include <vector>

namespace bitblock::experiments {

struct ResultRow {
  std::string run;
  std::vector<std::pair<std::string, std::string>> keys;  // grid key -> value
  std::map<std::string, double> metrics;                  // see kMetricColumns
};

// Metric columns in the order results.csv writes them.
extern const std::vector<std::string> kMetricColumns;

// Reads every <sweep_dir>/<run>/ holding sweep_point.json and summary.json.
std::vector<ResultRow> collect_results(const std::string& sweep_dir);
// Writes rows atomically: run, the union of grid keys (first-seen order), the metric columns
// (empty cell when a run has no such value, e.g. no hwsim).
void write_results_csv(const std::string& path, const std::vector<ResultRow>& rows);
// InputError "<path>: line N, column C: ..." on damage: a row with another cell count, a metric
// that is not a finite number >= 0, an accuracy (test_acc, best_test_acc, integer_test_acc: a
// fraction) above 1.
std::vector<ResultRow> read_results_csv(const std::string& path);

// Rebuilds <sweep_dir>/results.csv from the run folders while holding an exclusive flock on
// <sweep_dir>/results.csv.lock: of array tasks finishing at once, the one that writes last has
// seen every run finished before it, so no finished run is lost from the file. Returns the rows.
std::vector<ResultRow> update_results_csv(const std::string& sweep_dir);

}  // namespace bitblock::experiments
