// The sweep runner: a pool of `jobs` threads, each launching one child process at a time.
#include "bitblock/experiments/runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/experiments/results.hpp"
#include "bitblock/framework/dataset.hpp"

extern char** environ;

namespace bitblock::experiments {

namespace {

std::atomic<bool> g_stop{false};
std::mutex g_print;

void say(const std::string& s) {
  std::lock_guard<std::mutex> lock(g_print);
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

// Runs args as a child process with stdout and stderr appended to log_path, and waits; returns
// its exit code (128 + signal when killed).
int run_child(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) fail_input(args[0], "cannot start: " + std::string(std::strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// A run is simulated once: hwsim.log marks an attempt, so a model the architecture cannot hold
// is not retried on every sweep (delete hwsim.log to retry).
bool wants_hwsim(const GridPoint& p, const std::string& run) {
  return !p.hwsim_arch.empty() && file_exists(run + "/model.bbm") && !file_exists(run + "/hwsim/report.json") &&
         !file_exists(run + "/hwsim.log");
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
  std::set<std::string> datasets, archs;
  for (const GridPoint& p : points) {
    if (!p.invalid.empty()) continue;
    datasets.insert(p.dataset);
    if (!p.hwsim_arch.empty()) archs.insert(p.hwsim_arch);
  }
  for (const std::string& arch : archs)
    if (!file_exists(arch)) fail_input(arch, "hwsim architecture file not found (paths are relative to the working directory)");
  for (const std::string& d : datasets) load_dataset(d, opt.data_dir);
}

SweepOutcome run_sweep(const SweepSpec& spec, const std::vector<GridPoint>& points, const SweepOptions& opt) {
  SweepOutcome out;
  const std::string dir = sweep_dir(spec, opt);
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
  const int threads = threads_per_run(opt);
  const int jobs = std::max(1, opt.jobs);
  say("sweep " + spec.name + ": " + std::to_string(points.size()) + " points, " + std::to_string(out.skipped_finished) +
      " finished before, " + std::to_string(out.invalid) + " invalid, " + std::to_string(todo.size()) + " to run (" +
      std::to_string(jobs) + " at once, " + std::to_string(threads) + " threads each) -> " + dir);

  std::atomic<size_t> next{0};
  std::atomic<int> ran{0}, simulated_only{0}, failed{0};
  auto simulate = [&](const GridPoint& p, const std::string& run) {
    const int rc = run_child({opt.binary, "hwsim", "--model", run + "/model.bbm", "--arch", p.hwsim_arch, "--data-dir",
                              opt.data_dir, "--out", run + "/hwsim"},
                             run + "/hwsim.log");
    if (rc == 130 || g_stop.load()) {
      std::remove((run + "/hwsim.log").c_str());  // not an attempt: simulate on the next sweep
      g_stop.store(true);
      return false;
    }
    if (rc != 0) say("  " + p.name + ": hwsim failed (exit " + std::to_string(rc) + "), see " + run + "/hwsim.log");
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
      if (rc == 130 || g_stop.load()) {
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
