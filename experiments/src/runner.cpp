// The sweep runner: a pool of `jobs` threads, each launching one child process at a time.
#include "bitblock/experiments/runner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/folder_lock.hpp"
#include "bitblock/common/process.hpp"
#include "bitblock/experiments/results.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock::experiments {

namespace {

std::atomic<bool> g_stop{false};
std::mutex g_print;

void say(const std::string& s) {
  std::lock_guard<std::mutex> lock(g_print);
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

// run_process in a worker thread: a child that cannot start (its log a symbolic link, the binary
// gone) is reported and counts as a failed child (exit 1), instead of escaping the thread.
int run_child(const std::vector<std::string>& args, const std::string& log) {
  try {
    return run_process(args, {"", log, ""});
  } catch (const InputError& e) {
    say(std::string("  cannot start ") + args[1] + ": " + e.what());
    return 1;
  }
}

// Appends a line to a log, never through a symbolic link; a log that cannot be written loses it.
void append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return;
  const std::string text = line + "\n";
  const ssize_t written = ::write(fd, text.data(), text.size());
  (void)written;
  ::close(fd);
}

// What the runner appends to hwsim.log when hwsim ended with an error: a finished attempt (a
// model the architecture cannot hold is not retried on every sweep; delete hwsim.log to retry).
const char* const kHwsimFailed = "bitblock sweep: hwsim ended with exit code ";

// A run is simulated when its report is complete (hwsim writes report.json last) or hwsim
// ended with an error; a hwsim.log alone is an attempt that was killed, so it runs again.
bool wants_hwsim(const GridPoint& p, const std::string& run) {
  if (p.hwsim_arch.empty() || !file_exists(run + "/model.bbm") || file_exists(run + "/hwsim/report.json")) return false;
  return !file_exists(run + "/hwsim.log") || read_file(run + "/hwsim.log").find(kHwsimFailed) == std::string::npos;
}

// Export formats a run with a model file still lacks (model.<format> beside model.bbm).
std::vector<std::string> missing_exports(const SweepOptions& opt, const std::string& run) {
  std::vector<std::string> out;
  if (!file_exists(run + "/model.bbm")) return out;
  for (const std::string& f : opt.export_formats)
    if (!file_exists(run + "/model." + f)) out.push_back(f);
  return out;
}

struct Task {
  const GridPoint* point;
  bool train;   // false: finished run that only lacks its hwsim report or an export
};

}  // namespace

void request_sweep_stop() { g_stop.store(true); }

std::string sweep_dir(const SweepSpec& spec, const SweepOptions& opt) { return opt.runs_dir + "/" + spec.name; }

int threads_per_run(const SweepOptions& opt) {
  if (opt.threads > 0) return opt.threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / std::max(1, opt.jobs));
}

void check_sweep_inputs(const std::vector<GridPoint>& points, const SweepOptions& opt) {
  std::set<DatasetId> datasets;
  std::set<std::string> archs;
  for (const GridPoint& p : points) {
    if (!p.invalid.empty()) continue;
    datasets.insert(p.dataset);
    if (!p.hwsim_arch.empty()) archs.insert(p.hwsim_arch);
  }
  for (const std::string& arch : archs)
    if (!file_exists(arch)) fail_input(arch, "hwsim architecture file not found (paths are relative to the working directory)");
  for (DatasetId d : datasets) load_dataset(d, opt.data_dir);
}

SweepOutcome run_sweep(const SweepSpec& spec, const std::vector<GridPoint>& points, const SweepOptions& opt) {
  SweepOutcome out;
  const std::string dir = sweep_dir(spec, opt);
  // One sweep at a time writes a sweep folder (two would train every point twice). An existing
  // folder is locked before it is read; a new one once the inputs are checked and it is made.
  std::optional<FolderLock> lock;
  if (opt.lock_folder && std::filesystem::is_directory(dir)) lock.emplace(dir, "sweep folder");
  std::vector<Task> todo;
  std::vector<GridPoint> needed;
  for (const GridPoint& p : points) {
    const std::string run = dir + "/" + p.name;
    if (!p.invalid.empty()) {
      ++out.invalid;
      say("skip " + p.name + " (invalid): " + p.invalid);
    } else if (!file_exists(run + "/summary.json")) {
      todo.push_back({&p, true});
    } else if (wants_hwsim(p, run) || !missing_exports(opt, run).empty()) {
      todo.push_back({&p, false});
    } else {
      ++out.skipped_finished;
    }
  }
  for (const Task& t : todo) needed.push_back(*t.point);
  check_sweep_inputs(needed, opt);
  make_dirs(dir);
  if (opt.lock_folder && !lock) lock.emplace(dir, "sweep folder");
  const int threads = threads_per_run(opt);
  const int jobs = std::max(1, opt.jobs);
  say("sweep " + spec.name + ": " + std::to_string(points.size()) + " points, " + std::to_string(out.skipped_finished) +
      " finished before, " + std::to_string(out.invalid) + " invalid, " + std::to_string(todo.size()) + " to run (" +
      std::to_string(jobs) + " at once, " + std::to_string(threads) + " threads each) -> " + dir);

  std::atomic<size_t> next{0};
  std::atomic<int> ran{0}, simulated_only{0}, failed{0};
  auto simulate = [&](const GridPoint& p, const std::string& run) {
    const std::string log = run + "/hwsim.log";
    std::remove(log.c_str());  // a killed attempt's log
    const int rc = run_child({opt.binary, "hwsim", "--model", run + "/model.bbm", "--arch", p.hwsim_arch,
                              "--data-dir", opt.data_dir, "--out", run + "/hwsim"},
                             log);
    if (rc == 130 || rc == 143 || g_stop.load()) {
      g_stop.store(true);  // not an attempt: simulate on the next sweep
      return false;
    }
    if (rc != 0) {
      append_line(log, kHwsimFailed + std::to_string(rc));
      say("  " + p.name + ": hwsim failed (exit " + std::to_string(rc) + "), see " + log);
    }
    return true;
  };
  // Exports; false when interrupted. A failed export is reported and left for the next sweep.
  auto export_formats = [&](const GridPoint& p, const std::string& run) {
    for (const std::string& f : missing_exports(opt, run)) {
      // --limit 1: the accuracy it prints is the run's own; the test set is read only to check the shape.
      const int rc = run_child({opt.binary, "export", "--model", run + "/model.bbm", "--format", f, "--out",
                                run + "/model." + f, "--data-dir", opt.data_dir, "--limit", "1"},
                               run + "/export.log");
      if (rc == 130 || g_stop.load()) {
        g_stop.store(true);
        return false;
      }
      if (rc != 0) say("  " + p.name + ": export " + f + " failed (exit " + std::to_string(rc) + "), see " + run + "/export.log");
    }
    return true;
  };
  auto worker = [&] {
    for (;;) {
      if (g_stop.load()) return;
      const size_t i = next.fetch_add(1);
      if (i >= todo.size()) return;
      const GridPoint& p = *todo[i].point;
      const std::string run = dir + "/" + p.name;
      const std::string tag = "[" + std::to_string(i + 1) + "/" + std::to_string(todo.size()) + "] " + p.name;
      if (!todo[i].train) {
        if (!export_formats(p, run)) return;
        if (wants_hwsim(p, run)) {
          say(tag + ": hwsim ...");
          if (!simulate(p, run)) return;
        }
        ++simulated_only;
        continue;
      }
      make_dirs(run);
      nlohmann::json point = {{"sweep", spec.name}, {"index", p.index}, {"name", p.name}, {"values", p.values}};
      write_file_atomic(run + "/sweep_point.json", point.dump(2) + "\n");
      const bool resume = file_exists(run + "/checkpoint.bbc");
      // A resumed run keeps the config it started with (the checkpoint holds it).
      if (!resume || !file_exists(run + "/config.yaml")) write_file_atomic(run + "/config.yaml", p.config_yaml);
      std::vector<std::string> args = {opt.binary, "train", "--config", run + "/config.yaml", "--out", run, "--quiet",
                                       "--threads", std::to_string(threads), "--data-dir", opt.data_dir};
      if (resume) args.push_back("--resume");
      if (!opt.device.empty()) args.insert(args.end(), {"--device", opt.device});
      say(tag + (resume ? ": resuming ..." : ": training ..."));
      const int rc = run_child(args, run + "/sweep.log");
      if (rc == 130 || rc == 143 || g_stop.load()) {
        g_stop.store(true);
        say("  " + p.name + ": interrupted (resumes on the next `bitblock sweep`)");
        return;
      }
      if (rc != 0) {
        ++failed;
        say("  " + p.name + ": FAILED (exit " + std::to_string(rc) + "), see " + run + "/sweep.log");
        continue;
      }
      if (!export_formats(p, run)) return;
      if (wants_hwsim(p, run) && !simulate(p, run)) return;
      ++ran;
      say("  " + p.name + ": done");
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  out.ran = ran.load();
  out.simulated_only = simulated_only.load();
  out.failed = failed.load();
  out.interrupted = g_stop.load();
  out.results_csv = dir + "/results.csv";
  update_results_csv(dir);  // locked: array tasks may finish at the same moment
  return out;
}

}  // namespace bitblock::experiments
