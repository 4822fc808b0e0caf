// The sweep runner without real training: a fake bitblock binary (a shell script that records
// its arguments and writes what train / hwsim would) shows which child processes a sweep starts
// (train with the resolved config, --resume, hwsim after training or for a finished run lacking
// its report), which runs it skips, how failures count; plus the input checks before any run
// and the Slurm script.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>
#include <thread>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/experiments/results.hpp"
#include "bitblock/experiments/runner.hpp"
#include "bitblock/experiments/slurm.hpp"
#include "experiments/sweep_fixtures.hpp"

namespace bitblock::experiments {
namespace {

using testing_support::expect_input_error;
using testing_support::fake_finished_run;
using testing_support::TempDir;
using testing_support::tiny_spec;

// Appends "<args>" to calls.txt; train writes summary.json and model.bbm into --out (fails when
// --out holds a file named FAIL); hwsim writes <out>/report.json.
void write_fake_binary(const TempDir& dir) {
  const std::string script =
      "#!/bin/sh\n"
      "echo \"$*\" >> '" + dir / "calls.txt" + "'\n"
      "cmd=$1; shift; out=''\n"
      "while [ $# -gt 0 ]; do if [ \"$1\" = --out ]; then out=$2; fi; shift; done\n"
      "if [ \"$cmd\" = train ]; then\n"
      "  [ -f \"$out/FAIL\" ] && exit 1\n"
      "  echo '{\"test_acc\": 0.5, \"memory\": {\"total_kib\": 1}}' > \"$out/summary.json\"; : > \"$out/model.bbm\"\n"
      "else\n"
      "  mkdir -p \"$out\"; echo '{\"energy_nj_per_classification\": {\"total\": 7}}' > \"$out/report.json\"\n"
      "fi\n";
  write_file_atomic(dir / "fake-bitblock", script);
  ::chmod((dir / "fake-bitblock").c_str(), 0755);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(SweepRunner, ChildProcessesResumeSimulateSkip) {
  TempDir dir("runner");
  testing_support::write_tiny_mnist(dir / "data");
  write_file_atomic(dir / "arch.yaml", "lanes: 8\n");
  write_fake_binary(dir);
  // weight_bits {1, 4} x ratio {2, 4, 8}, simulated on arch.yaml.
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml",
                    "sweep: fake\nbase: tiny.yaml\nhwsim: {arch: " + dir / "arch.yaml" + "}\n"
                    "grid:\n  constraints.default.weight_bits: [1, 4]\n  constraints.default.ratio: [2, 4, 8]\n");
  SweepSpec spec = load_sweep(dir / "sweep.yaml");
  std::vector<GridPoint> p = expand_grid(spec);
  ASSERT_EQ(p.size(), 6u);
  SweepOptions opt;
  opt.binary = dir / "fake-bitblock";
  opt.runs_dir = dir / "runs";
  opt.data_dir = dir / "data";
  opt.threads = 3;
  const std::string sd = opt.runs_dir + "/fake";
  auto run = [&](int i) { return sd + "/" + p[static_cast<size_t>(i)].name; };
  // 0: new. 1: interrupted (checkpoint, config.yaml it started with). 2: finished, never
  // simulated. 3: finished, simulation tried and failed (hwsim.log with the runner's note of the
  // exit code, no report). 4: training
  // fails. 5: finished and simulated.
  make_dirs(run(1));
  write_file_atomic(run(1) + "/checkpoint.bbc", "x");
  write_file_atomic(run(1) + "/config.yaml", "KEEP");
  fake_finished_run(sd, 2, p[2].name, p[2].values, 0.9, 2.0, false);
  write_file_atomic(run(2) + "/model.bbm", "");
  fake_finished_run(sd, 3, p[3].name, p[3].values, 0.9, 3.0, false);
  write_file_atomic(run(3) + "/model.bbm", "");
  write_file_atomic(run(3) + "/hwsim.log", "does not fit\nbitblock sweep: hwsim ended with exit code 2\n");
  make_dirs(run(4));
  write_file_atomic(run(4) + "/FAIL", "");
  fake_finished_run(sd, 5, p[5].name, p[5].values, 0.9, 5.0, true);
  write_file_atomic(run(5) + "/model.bbm", "");

  SweepOutcome r = run_sweep(spec, p, opt);
  EXPECT_EQ(r.ran, 2);
  EXPECT_EQ(r.simulated_only, 1);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.skipped_finished, 2);
  EXPECT_EQ(r.invalid, 0);
  EXPECT_FALSE(r.interrupted);
  auto train = [&](int i) {
    return "train --config " + run(i) + "/config.yaml --out " + run(i) + " --quiet --threads 3 --data-dir " + opt.data_dir;
  };
  auto hwsim = [&](int i) {
    return "hwsim --model " + run(i) + "/model.bbm --arch " + dir / "arch.yaml" + " --data-dir " + opt.data_dir +
           " --out " + run(i) + "/hwsim";
  };
  EXPECT_EQ(lines(read_file(dir / "calls.txt")),
            (std::vector<std::string>{train(0), hwsim(0), train(1) + " --resume", hwsim(1), hwsim(2), train(4)}));
  EXPECT_EQ(read_file(run(0) + "/config.yaml"), p[0].config_yaml);
  EXPECT_EQ(read_file(run(1) + "/config.yaml"), "KEEP");
  EXPECT_TRUE(file_exists(run(4) + "/sweep_point.json"));

  // results.csv: every finished run (not the failed one), hwsim columns where simulated.
  std::vector<ResultRow> rows = read_results_csv(r.results_csv);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].run, p[0].name);
  EXPECT_DOUBLE_EQ(rows[0].metrics.at("energy_nj"), 7.0);
  EXPECT_DOUBLE_EQ(rows[2].metrics.at("energy_nj"), 7.0);
  EXPECT_EQ(rows[3].metrics.count("energy_nj"), 0u);
  EXPECT_EQ(rows[4].run, p[5].name);

  // A second sweep finds only the failed run to do.
  std::remove((dir / "calls.txt").c_str());
  r = run_sweep(spec, p, opt);
  EXPECT_EQ(r.skipped_finished, 5);
  EXPECT_EQ(lines(read_file(dir / "calls.txt")), (std::vector<std::string>{train(4)}));
}

TEST(SweepRunner, FinishedRunsAreSkippedWithoutLaunching) {
  TempDir dir("skip");
  testing_support::write_tiny_mnist(dir / "data");
  SweepSpec spec = tiny_spec(dir);
  std::vector<GridPoint> points = expand_grid(spec);
  ASSERT_EQ(points.size(), 4u);
  SweepOptions opt;
  opt.binary = dir / "no-such-binary";  // any launch would fail
  opt.runs_dir = dir / "runs";
  opt.data_dir = dir / "data";
  for (const GridPoint& p : points)
    fake_finished_run(opt.runs_dir + "/tinysweep", p.index, p.name, p.values, 0.9, 1.0 + p.index, false);
  SweepOutcome r = run_sweep(spec, points, opt);
  EXPECT_EQ(r.skipped_finished, 4);
  EXPECT_EQ(r.ran, 0);
  EXPECT_EQ(read_results_csv(r.results_csv).size(), 4u);
}

TEST(SweepRunner, MissingDataOrArchStopsBeforeAnyRun) {
  TempDir dir("inputs");
  SweepSpec spec = tiny_spec(dir);
  std::vector<GridPoint> points = expand_grid(spec);
  SweepOptions opt;
  opt.binary = dir / "no-such-binary";
  opt.runs_dir = dir / "runs";
  opt.data_dir = dir / "nodata";
  expect_input_error([&] { run_sweep(spec, points, opt); }, {"nodata/mnist", "scripts/fetch-data.sh mnist"});
  EXPECT_FALSE(file_exists(dir / "runs/tinysweep"));
  testing_support::write_tiny_mnist(dir / "data");
  opt.data_dir = dir / "data";
  points[1].hwsim_arch = dir / "no-arch.yaml";
  expect_input_error([&] { check_sweep_inputs(points, opt); }, {dir / "no-arch.yaml", "not found"});
  // Invalid points need nothing.
  points[1].invalid = "bad";
  EXPECT_NO_THROW(check_sweep_inputs(points, opt));
}

TEST(SweepRunner, ThreadsSplitBetweenJobs) {
  SweepOptions opt;
  opt.jobs = 2;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(threads_per_run(opt), std::max(1, cores / 2));
  opt.jobs = 1000;
  EXPECT_EQ(threads_per_run(opt), 1);
  opt.threads = 5;
  EXPECT_EQ(threads_per_run(opt), 5);
}

TEST(SweepSlurm, ArrayReportAndSubmitScripts) {
  TempDir dir("slurm");
  SweepSpec spec = tiny_spec(dir);
  SweepOptions opt;
  opt.binary = "/opt/bb/bitblock";
  opt.runs_dir = "/abs/runs";
  opt.data_dir = "/abs/data";
  opt.threads = 3;
  const SlurmScripts sc =
      slurm_scripts(spec, "/abs/sweep.yaml", 4, opt, {"train.epochs=5", "x=it's"}, false, "/abs/work", "/abs/jobs");
  const std::string& s = sc.array;
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u);
  EXPECT_NE(s.find("#SBATCH --array=0-3\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --cpus-per-task=3\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --requeue\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --open-mode=append\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --output=/abs/runs/tinysweep/slurm-%A_%a.out\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("gres"), std::string::npos) << s;
  EXPECT_EQ(s.find("--device"), std::string::npos) << s;
  // Every #SBATCH line comes before the first command (sbatch stops reading them there).
  EXPECT_LT(s.rfind("#SBATCH"), s.find("set -euo pipefail"));
  EXPECT_NE(s.find("\ncd '/abs/work'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\nexec '/opt/bb/bitblock' sweep --config '/abs/sweep.yaml' --only \"$SLURM_ARRAY_TASK_ID\" "
                   "--runs-dir '/abs/runs' --data-dir '/abs/data' --threads \"$SLURM_CPUS_PER_TASK\" "
                   "--set 'train.epochs=5' --set 'x=it'\\''s'\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("bash /abs/jobs/submit.sh"), std::string::npos) << s;

  const std::string& r = sc.report;
  EXPECT_NE(r.find("#SBATCH --cpus-per-task=1\n"), std::string::npos) << r;
  EXPECT_NE(r.find("#SBATCH --output=/abs/runs/tinysweep/slurm-report-%j.out\n"), std::string::npos) << r;
  EXPECT_LT(r.rfind("#SBATCH"), r.find("set -euo pipefail"));
  EXPECT_NE(r.find("\ncd '/abs/work'\nexec '/opt/bb/bitblock' report --rebuild '/abs/runs/tinysweep'\n"), std::string::npos)
      << r;

  const std::string& sub = sc.submit;
  EXPECT_NE(sub.find("array=$(sbatch --parsable \"$@\" '/abs/jobs/sweep.sbatch')\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("report=$(sbatch --parsable --dependency=afterany:\"$array\" '/abs/jobs/report.sbatch')\n"),
            std::string::npos)
      << sub;

  // A GPU sweep: one GPU per task, trained with --device cuda.
  const SlurmScripts gpu = slurm_scripts(spec, "/abs/sweep.yaml", 4, opt, {}, true, "/abs/work", "/abs/jobs");
  EXPECT_NE(gpu.array.find("#SBATCH --gres=gpu:1\n"), std::string::npos) << gpu.array;
  EXPECT_NE(gpu.array.find("--threads \"$SLURM_CPUS_PER_TASK\" --device cuda\n"), std::string::npos) << gpu.array;
  opt.device = "cpu";
  const SlurmScripts cpu = slurm_scripts(spec, "/abs/sweep.yaml", 4, opt, {}, false, "/abs/work", "/abs/jobs");
  EXPECT_NE(cpu.array.find("--device cpu\n"), std::string::npos) << cpu.array;
  EXPECT_EQ(cpu.array.find("gres"), std::string::npos) << cpu.array;
}

TEST(SweepSlurm, GpuWhenTheSweepAsksForOne) {
  TempDir dir("slurm_gpu");
  SweepOptions opt;
  EXPECT_FALSE(sweep_wants_gpu(expand_grid(tiny_spec(dir)), opt));
  // A config that trains on cuda (set by the sweep or --set) asks for a GPU ...
  SweepSpec cuda = tiny_spec(dir);
  add_overrides(cuda, {"train.device=cuda"});
  EXPECT_TRUE(sweep_wants_gpu(expand_grid(cuda), opt));
  // ... unless --device says otherwise; --device cuda asks for one whatever the configs say.
  opt.device = "cpu";
  EXPECT_FALSE(sweep_wants_gpu(expand_grid(cuda), opt));
  opt.device = "cuda";
  EXPECT_TRUE(sweep_wants_gpu(expand_grid(tiny_spec(dir)), opt));
}

TEST(SweepRunner, DevicePassedToEveryRun) {
  TempDir dir("runner_device");
  testing_support::write_tiny_mnist(dir / "data");
  write_fake_binary(dir);
  SweepSpec spec = tiny_spec(dir);
  std::vector<GridPoint> p = expand_grid(spec);
  SweepOptions opt;
  opt.binary = dir / "fake-bitblock";
  opt.runs_dir = dir / "runs";
  opt.data_dir = dir / "data";
  opt.threads = 1;
  opt.device = "cuda";
  SweepOutcome r = run_sweep(spec, {p[0]}, opt);
  EXPECT_EQ(r.ran, 1);
  const std::vector<std::string> calls = lines(read_file(dir / "calls.txt"));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_NE(calls[0].find(" --device cuda"), std::string::npos) << calls[0];
}

}  // namespace
}  // namespace bitblock::experiments
