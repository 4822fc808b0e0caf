// bitblock sweep: expand a grid of configs into runs, run them (resumable), write results.csv;
// or list the grid (--list), run one point (--only, a Slurm array task), or write a Slurm script.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/experiments/runner.hpp"
#include "bitblock/experiments/slurm.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace bitblock::cli {

namespace {
volatile std::sig_atomic_t g_signal = SIGINT;

// SIGINT and SIGTERM alike: no new runs; the running ones (which get the signal too when it goes
// to the process group) checkpoint; exit 128 + the signal.
extern "C" void on_sweep_signal(int sig) {
  g_signal = sig;
  experiments::request_sweep_stop();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) return path;
  return path == "." ? std::string(cwd) : std::string(cwd) + "/" + path;
}

std::string self_binary() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) fail_input("/proc/self/exe", "cannot find the bitblock binary");
  return std::string(buf, static_cast<size_t>(n));
}
}  // namespace

int cmd_sweep(int argc, char** argv) {
  return guarded("sweep", [&] {
    cxxopts::Options options("bitblock sweep", "Run a grid of experiments (resumable) and write results.csv");
    options.add_options()
        ("c,config", "sweep file, e.g. experiments/configs/mnist_paper.yaml", cxxopts::value<std::string>())
        ("jobs", "runs at once", cxxopts::value<int>()->default_value("1"))
        ("threads", "threads per run (0: cores / jobs)", cxxopts::value<int>()->default_value("0"))
        ("device", "cpu | cuda | auto: where every run trains (default: each config's train.device)", cxxopts::value<std::string>())
        ("data-dir", "folder holding the data sets", cxxopts::value<std::string>()->default_value("data"))
        ("runs-dir", "runs go to <runs-dir>/<sweep>/<run>/", cxxopts::value<std::string>()->default_value("runs"))
        ("set", "override a config key in every run, e.g. --set train.epochs=2 (repeatable; not a grid key)", cxxopts::value<std::vector<std::string>>())
        ("only", "run only grid point I (Slurm array task)", cxxopts::value<int>())
        ("export", "also write each run's model file as model.<format>: onnx | qonnx (repeatable)",
         cxxopts::value<std::vector<std::string>>())
        ("list", "print the expanded grid (index, state: todo/partial/finished/invalid, run name) and exit")
        ("emit", "write job scripts instead of running: slurm (sweep.sbatch, report.sbatch, submit.sh)", cxxopts::value<std::string>())
        ("out", "with --emit: the folder for the scripts (default <runs-dir>/<sweep>)", cxxopts::value<std::string>());
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("config")) fail_input("--config", "missing (a sweep file, see experiments/configs/*_paper.yaml)");
    const std::string file = args["config"].as<std::string>();
    experiments::SweepSpec spec = experiments::load_sweep(file);
    experiments::SweepOptions opt;
    opt.binary = self_binary();
    opt.runs_dir = args["runs-dir"].as<std::string>();
    opt.data_dir = args["data-dir"].as<std::string>();
    opt.jobs = args["jobs"].as<int>();
    opt.threads = args["threads"].as<int>();
    if (opt.jobs < 1) fail_input("--jobs", "must be >= 1");
    if (opt.threads < 0) fail_input("--threads", "must be >= 0");
    if (args.count("device")) {
      opt.device = args["device"].as<std::string>();
      if (opt.device != "cpu" && opt.device != "cuda" && opt.device != "auto")
        fail_input("--device", "'" + opt.device + "' is not one of cpu, cuda, auto");
    }
    if (args.count("export"))
      for (const std::string& f : args["export"].as<std::vector<std::string>>()) {
        if (f != "onnx" && f != "qonnx") fail_input("--export", "'" + f + "' is not one of onnx, qonnx");
        if (std::find(opt.export_formats.begin(), opt.export_formats.end(), f) == opt.export_formats.end())
          opt.export_formats.push_back(f);
      }
    // Command-line overrides apply to every run, so the points are validated with them.
    const std::vector<std::string> sets = config_overrides(args);
    experiments::add_overrides(spec, sets);
    std::vector<experiments::GridPoint> points = experiments::expand_grid(spec);
    if (points.empty()) fail_input(file, "the grid is empty (everything excluded?)");
    const std::string dir = experiments::sweep_dir(spec, opt);

    if (args.count("list")) {
      int invalid = 0;
      for (const auto& p : points) {
        const std::string run = dir + "/" + p.name;
        const char* state = !p.invalid.empty()                        ? "invalid"
                            : file_exists(run + "/summary.json")      ? "finished"
                            : file_exists(run + "/checkpoint.bbc")    ? "partial"
                                                                      : "todo";
        invalid += !p.invalid.empty();
        std::printf("%3d  %-8s  %s%s\n", p.index, state, p.name.c_str(), p.invalid.empty() ? "" : ("\n       " + p.invalid).c_str());
      }
      std::printf("%zu points (%d invalid) -> %s\n", points.size(), invalid, dir.c_str());
      return 0;
    }
    if (args.count("emit")) {
      if (args["emit"].as<std::string>() != "slurm") fail_input("--emit", "only 'slurm' is supported");
      experiments::SweepOptions abs = opt;
      abs.runs_dir = absolute(opt.runs_dir);
      abs.data_dir = absolute(opt.data_dir);
      const std::string runs = experiments::sweep_dir(spec, abs);
      make_dirs(runs);  // Slurm writes the tasks' output there
      const std::string out = absolute(args.count("out") ? args["out"].as<std::string>() : dir);
      make_dirs(out);
      const bool gpu = experiments::sweep_wants_gpu(points, opt);
      const experiments::SlurmScripts scripts = experiments::slurm_scripts(
          spec, absolute(file), static_cast<int>(points.size()), abs, sets, gpu, absolute("."), out);
      write_file_atomic(out + "/sweep.sbatch", scripts.array);
      write_file_atomic(out + "/report.sbatch", scripts.report);
      write_file_atomic(out + "/submit.sh", scripts.submit);
      std::printf("wrote %s/sweep.sbatch (a Slurm array of %zu tasks%s), report.sbatch and submit.sh\n"
                  "submit both: bash %s/submit.sh [sbatch options, e.g. --array=0-3]; report: %s/report.md\n",
                  out.c_str(), points.size(), gpu ? ", one GPU each" : "", out.c_str(), runs.c_str());
      return 0;
    }
    if (args.count("only")) {
      const int i = args["only"].as<int>();
      if (i < 0 || i >= static_cast<int>(points.size()))
        fail_input("--only", std::to_string(i) + " is outside the grid (0.." + std::to_string(points.size() - 1) + ")");
      points = {points[static_cast<size_t>(i)]};
      opt.lock_folder = false;
    }
    std::signal(SIGINT, on_sweep_signal);
    std::signal(SIGTERM, on_sweep_signal);
    experiments::SweepOutcome r = experiments::run_sweep(spec, points, opt);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::printf("sweep %s: %d ran, %d failed, %d finished before (%d of them simulated or exported now), %d invalid; %s\n",
                spec.name.c_str(), r.ran, r.failed, r.skipped_finished + r.simulated_only, r.simulated_only, r.invalid,
                r.results_csv.c_str());
    if (r.interrupted) return 128 + static_cast<int>(g_signal);
    return r.failed ? 1 : 0;
  });
}

}  // namespace bitblock::cli
