#pragma once
// What a run folder holds besides the checkpoint: the log, metrics.csv, summary.json, and the
// training-curve plot. Every file but the append-only log is written atomically.
#include <string>
#include <vector>

#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/export.hpp"
#include "bitblock/framework/memory_report.hpp"

namespace bitblock {

// Lines go to stdout (unless quiet) and are appended to the log file. The log is never opened
// through a symbolic link (one planted in a shared run folder would have the run append to a
// file elsewhere): InputError naming it.
class RunLog {
 public:
  RunLog(const std::string& path, bool quiet);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;
  void line(const std::string& text);
  void error(const std::string& text);      // to stderr (always) and the log
  void note(const std::string& text);       // to the log only

 private:
  void append(const std::string& text);
  int fd_ = -1;
  bool quiet_;
};

void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& history);
void write_summary_json(const std::string& path, const ExperimentConfig& config,
                        const std::vector<EpochMetrics>& history, const MemoryReport& memory,
                        const ExportOutcome& exported);

// Loss and accuracy curves (PNG) through gnuplot when it is installed; false when it is not (the
// run goes on without the plot).
bool plot_training_curves(const std::string& metrics_csv, const std::string& png);

// Runs a gnuplot script (no shell) whose `set output OUT` gets a temporary name next to
// output_path, set as a quoted string before the script; renames the output into place. Texts
// the script holds must be quoted with gnuplot_quote (bitblock/common/gnuplot.hpp).
bool run_gnuplot(const std::string& script, const std::string& output_path);

}  // namespace bitblock
