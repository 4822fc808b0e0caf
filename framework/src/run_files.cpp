#include "bitblock/framework/run_files.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock {

RunLog::RunLog(const std::string& path, bool quiet) : file_(path, std::ios::app), quiet_(quiet) {
  if (!file_) fail_input(path, "cannot open the run log for writing");
}

void RunLog::line(const std::string& text) {
  if (!quiet_) std::cout << text << std::endl;
  file_ << text << "\n";
  file_.flush();
}

void RunLog::note(const std::string& text) {
  file_ << text << "\n";
  file_.flush();
}

void RunLog::error(const std::string& text) {
  std::cerr << text << std::endl;
  file_ << text << "\n";
  file_.flush();
}

void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& history) {
  std::string out = "epoch,lr,train_loss,train_acc,test_loss,test_acc,samples_per_s,seconds\n";
  char buf[256];
  for (const EpochMetrics& m : history) {
    std::snprintf(buf, sizeof buf, "%d,%.6g,%.6f,%.6f,%.6f,%.6f,%.1f,%.3f\n", m.epoch, m.lr, m.train_loss, m.train_acc,
                  m.test_loss, m.test_acc, m.samples_per_s, m.seconds);
    out += buf;
  }
  write_file_atomic(path, out);
}

void write_summary_json(const std::string& path, const ExperimentConfig& config,
                        const std::vector<EpochMetrics>& history, const MemoryReport& memory,
                        const ExportOutcome& exported) {
  nlohmann::json j;
  j["name"] = config.name;
  j["dataset"] = config.dataset;
  j["seed"] = config.seed;
  j["epochs"] = history.size();
  if (!history.empty()) {
    const EpochMetrics& last = history.back();
    double best = 0.0, seconds = 0.0, samples = 0.0;
    for (const EpochMetrics& m : history) {
      best = std::max(best, m.test_acc);
      seconds += m.seconds;
      samples += m.samples_per_s * m.seconds;
    }
    j["test_acc"] = last.test_acc;
    j["best_test_acc"] = best;
    j["test_loss"] = last.test_loss;
    j["train_acc"] = last.train_acc;
    j["train_seconds"] = seconds;
    j["samples_per_s"] = seconds > 0 ? samples / seconds : 0.0;
  }
  j["memory"] = to_json(memory);
  if (exported.written) {
    j["model_file"] = "model.bbm";
    j["model_file_bytes"] = exported.file_bytes;
    j["integer_test_acc"] = exported.integer_accuracy;
  } else {
    j["model_file"] = nullptr;
    j["model_file_reason"] = exported.reason;
  }
  write_file_atomic(path, j.dump(2) + "\n");
}

bool gnuplot_available() {
  static const bool available = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  return available;
}

bool run_gnuplot(const std::string& script, const std::string& output_path) {
  if (!gnuplot_available()) return false;
  const std::string tmp_out = output_path + ".tmp." + std::to_string(::getpid());
  const std::string script_path = output_path + ".gp.tmp." + std::to_string(::getpid());
  // The script refers to the output as OUT; it is set on the command line.
  write_file_atomic(script_path, script);
  const std::string cmd = "gnuplot -e \"OUT='" + tmp_out + "'\" '" + script_path + "' >/dev/null 2>&1";
  const bool ok = std::system(cmd.c_str()) == 0 && file_exists(tmp_out);
  std::remove(script_path.c_str());
  if (!ok) {
    std::remove(tmp_out.c_str());
    return false;
  }
  return std::rename(tmp_out.c_str(), output_path.c_str()) == 0;
}

bool plot_training_curves(const std::string& metrics_csv, const std::string& png) {
  const std::string script =
      "set terminal pngcairo size 1000,420 font ',10'\n"
      "set output OUT\n"
      "set datafile separator ','\n"
      "set key autotitle columnhead\n"
      "set multiplot layout 1,2\n"
      "set title 'loss'\nset xlabel 'epoch'\nset grid\n"
      "plot '" + metrics_csv + "' using 1:3 with linespoints title 'train', '' using 1:5 with linespoints title 'test'\n"
      "set title 'accuracy (%)'\n"
      "plot '" + metrics_csv + "' using 1:($4*100) with linespoints title 'train', '' using 1:($6*100) with linespoints title 'test'\n"
      "unset multiplot\n";
  return run_gnuplot(script, png);
}

}  // namespace bitblock
