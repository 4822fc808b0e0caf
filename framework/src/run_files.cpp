#include "bitblock/framework/run_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/gnuplot.hpp"

namespace bitblock {

RunLog::RunLog(const std::string& path, bool quiet) : quiet_(quiet) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0 && errno == ELOOP) fail_input(path, "is a symbolic link: the run log is not written through one (remove it)");
  if (fd_ < 0) fail_input(path, std::string("cannot open the run log for writing: ") + std::strerror(errno));
}

RunLog::~RunLog() { ::close(fd_); }

// A failed write of a log line does not stop the run: the results are what matters.
void RunLog::append(const std::string& text) {
  const std::string line = text + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void RunLog::line(const std::string& text) {
  if (!quiet_) std::cout << text << std::endl;
  append(text);
}

void RunLog::note(const std::string& text) { append(text); }

void RunLog::error(const std::string& text) {
  std::cerr << text << std::endl;
  append(text);
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
  j["dataset"] = to_string(config.dataset);
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

bool run_gnuplot(const std::string& script, const std::string& output_path) {
  if (!gnuplot_available()) return false;
  const std::string tmp_out = output_path + ".tmp." + std::to_string(::getpid());
  const std::string script_path = output_path + ".gp.tmp." + std::to_string(::getpid());
  // The script refers to the output as OUT, set first as a quoted string (the path is data).
  const bool ok = run_gnuplot_script("OUT = " + gnuplot_quote(tmp_out) + "\n" + script, script_path) && file_exists(tmp_out);
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
      "plot " + gnuplot_quote(metrics_csv) + " using 1:3 with linespoints title 'train', '' using 1:5 with linespoints title 'test'\n"
      "set title 'accuracy (%)'\n"
      "plot " + gnuplot_quote(metrics_csv) + " using 1:($4*100) with linespoints title 'train', '' using 1:($6*100) with linespoints title 'test'\n"
      "unset multiplot\n";
  return run_gnuplot(script, png);
}

}  // namespace bitblock
