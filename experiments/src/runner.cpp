#include "bitblock/experiments/runner.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/experiments/results.hpp"
#include "bitblock/framework/config.hpp"
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

// Runs argv as a child process and waits; returns its exit code (128 + signal when killed).
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
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

void request_sweep_stop() { g_stop.store(true); }

std::string sweep_dir(const SweepSpec& spec, const SweepOptions& opt) { return opt.runs_dir + "/" + spec.name; }

SweepOutcome run_sweep(const SweepSpec& spec, const std::vector<GridPoint>& points, const SweepOptions& opt) {
  SweepOutcome out;
  const std::string dir = sweep_dir(spec, opt);
  make_dirs(dir);
  // Data first: a sweep over a missing data set stops before any run (the loader says how to
  // get it).
  {
    ExperimentConfig base = load_config(spec.base, opt.overrides);
    load_dataset(base.dataset, opt.data_dir);
  }
  const int jobs = std::max(1, opt.jobs);
  const int threads = opt.threads > 0 ? opt.threads
                                      : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / jobs);
  std::vector<const GridPoint*> todo;
  for (const GridPoint& p : points) {
    if (!p.invalid.empty()) {
      ++out.invalid;
      say("skip " + p.name + " (invalid): " + p.invalid);
      continue;
    }
    if (file_exists(dir + "/" + p.name + "/summary.json")) {
      ++out.skipped_finished;
      continue;
    }
    todo.push_back(&p);
  }
  say("sweep " + spec.name + ": " + std::to_string(points.size()) + " points, " + std::to_string(out.skipped_finished) +
      " finished before, " + std::to_string(out.invalid) + " invalid, " + std::to_string(todo.size()) + " to run (" +
      std::to_string(jobs) + " at once, " + std::to_string(threads) + " threads each) -> " + dir);

  std::atomic<size_t> next{0};
  std::atomic<int> ran{0}, failed{0};
  auto worker = [&] {
    for (;;) {
      if (g_stop.load()) return;
      const size_t i = next.fetch_add(1);
      if (i >= todo.size()) return;
      const GridPoint& p = *todo[i];
      const std::string run = dir + "/" + p.name;
      make_dirs(run);
      nlohmann::json point = {{"sweep", spec.name}, {"index", p.index}, {"name", p.name}, {"values", p.values}};
      write_file_atomic(run + "/sweep_point.json", point.dump(2) + "\n");
      std::vector<std::string> args = {opt.binary, "train", "--config", spec.base, "--out", run, "--quiet",
                                       "--threads", std::to_string(threads), "--data-dir", opt.data_dir};
      for (const std::string& o : opt.overrides) args.insert(args.end(), {"--set", o});
      for (const std::string& o : point_overrides(spec, p)) args.insert(args.end(), {"--set", o});
      if (file_exists(run + "/checkpoint.bbc")) args.push_back("--resume");
      say("[" + std::to_string(i + 1) + "/" + std::to_string(todo.size()) + "] " + p.name + " ...");
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
      if (!spec.hwsim_arch.empty() && file_exists(run + "/model.bbm")) {
        const int hw = run_child({opt.binary, "hwsim", "--model", run + "/model.bbm", "--arch", spec.hwsim_arch,
                                  "--data-dir", opt.data_dir, "--out", run + "/hwsim"},
                                 run + "/sweep.log");
        if (hw != 0) say("  " + p.name + ": hwsim failed (exit " + std::to_string(hw) + "), see " + run + "/sweep.log");
      }
      ++ran;
      say("  " + p.name + ": done");
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  out.ran = ran.load();
  out.failed = failed.load();
  out.interrupted = g_stop.load();
  out.results_csv = dir + "/results.csv";
  write_results_csv(out.results_csv, collect_results(dir));
  return out;
}

std::string slurm_script(const SweepSpec& spec, const std::string& sweep_file, int num_points, const SweepOptions& opt,
                         const std::string& workdir) {
  const int cpus = opt.threads > 0 ? opt.threads : 4;
  std::string s;
  s += "#!/bin/bash\n";
  s += "# bitblock sweep '" + spec.name + "' as a Slurm job array: one grid point per array task, each\n";
  s += "# writing its own run folder under " + opt.runs_dir + "/" + spec.name + "/. When all tasks are done:\n";
  s += "#   " + opt.binary + " report --rebuild " + opt.runs_dir + "/" + spec.name + "\n";
  s += "#SBATCH --job-name=bitblock-" + spec.name + "\n";
  s += "#SBATCH --array=0-" + std::to_string(num_points - 1) + "\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
  s += "#SBATCH --output=" + opt.runs_dir + "/" + spec.name + "/slurm-%A_%a.out\n";
  s += "set -euo pipefail\n";
  s += "cd '" + workdir + "'\n";
  s += "'" + opt.binary + "' sweep --config '" + sweep_file + "' --only \"$SLURM_ARRAY_TASK_ID\" --runs-dir '" +
       opt.runs_dir + "' --data-dir '" + opt.data_dir + "' --threads \"$SLURM_CPUS_PER_TASK\"";
  for (const std::string& o : opt.overrides) s += " --set '" + o + "'";
  s += "\n";
  return s;
}

}  // namespace bitblock::experiments
