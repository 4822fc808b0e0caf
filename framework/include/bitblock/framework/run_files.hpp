#pragma once
// What a run folder holds besides the checkpoint: the log, metrics.csv, summary.json, and the
// training-curve plot. Every file but the append-only log is written atomically.
#include <fstream>
#include <string>
#include <vector>

#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/export.hpp"
#include "bitblock/framework/memory_report.hpp"

namespace bitblock {

// Lines go to stdout (unless quiet) and are appended to the log file.
class RunLog {
 public:
  RunLog(const std::string& path, bool quiet);
  void line(const std::string& text);
  void error(const std::string& text);      // to stderr (always) and the log
  void note(const std::string& text);       // to the log only

 private:
  std::ofstream file_;
  bool quiet_;
};

void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& history);
void write_summary_json(const std::string& path, const ExperimentConfig& config,
                        const std::vector<EpochMetrics>& history, const MemoryReport& memory,
                        const ExportOutcome& exported);

// Loss and accuracy curves (PNG) through gnuplot when it is installed; false when it is not (the
// run goes on without the plot).
bool plot_training_curves(const std::string& metrics_csv, const std::string& png);

// Runs a gnuplot script; writes the output to a temporary name first and renames it into place.
bool run_gnuplot(const std::string& script, const std::string& output_path);
bool gnuplot_available();

}  // namespace bitblock
