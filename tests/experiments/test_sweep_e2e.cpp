// One sweep end to end through the real bitblock binary: two tiny MLP runs on a synthetic
// MNIST (plus an invalid point that is listed and skipped), --list, a resumed sweep that finds
// everything finished, --only, and the report.
#include <gtest/gtest.h>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/experiments/results.hpp"
#include "experiments/test_cli_run.hpp"

namespace bitblock::experiments {
namespace {

using testing_support::run_bitblock;
using testing_support::TempDir;

TEST(SweepEndToEnd, TwoPointsThroughTheBinaryThenReport) {
  TempDir dir("e2e");
  testing_support::write_tiny_mnist(dir / "data", 200, 100);
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml",
                    "sweep: two\nbase: tiny.yaml\nset: {train.epochs: 3}\ngrid:\n  constraints.default.ratio: [2, 4, 200]\n");
  testing_support::CliResult r = run_bitblock("sweep --config sweep.yaml --list", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("  0  todo      ratio-2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  2  invalid   ratio-200\n"), std::string::npos) << r.out;

  r = run_bitblock("sweep --config sweep.yaml --data-dir data --jobs 2 --set train.epochs=1", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("skip ratio-200 (invalid): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 ran, 0 failed"), std::string::npos) << r.out;
  std::vector<ResultRow> rows = read_results_csv(dir / "runs/two/results.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].run, "ratio-2");
  EXPECT_EQ(rows[1].run, "ratio-4");
  for (const ResultRow& row : rows) {
    EXPECT_GT(row.metrics.at("test_acc"), 0.0);
    EXPECT_GT(row.metrics.at("weight_kib"), 0.0);
    EXPECT_GT(row.metrics.at("train_seconds"), 0.0);
  }
  // Ratio 4 keeps fewer blocks than ratio 2 in the first layer: less memory.
  EXPECT_LT(rows[1].metrics.at("weight_kib"), rows[0].metrics.at("weight_kib"));
  // The command line's epochs reached the runs (1 epoch: one metrics row).
  EXPECT_NE(read_file(dir / "runs/two/ratio-4/config.yaml").find("epochs: 1\n"), std::string::npos);

  // A second sweep finds both finished and runs nothing; --only of a finished point neither.
  r = run_bitblock("sweep --config sweep.yaml --data-dir data --set train.epochs=1", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 ran, 0 failed, 2 finished before"), std::string::npos) << r.out;
  r = run_bitblock("sweep --config sweep.yaml --data-dir data --only 1", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 ran, 0 failed, 1 finished before"), std::string::npos) << r.out;
  r = run_bitblock("sweep --config sweep.yaml --data-dir data --only 3", dir.path);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("outside the grid (0..2)"), std::string::npos) << r.err;

  // Rebuilt from the folders alone.
  std::remove((dir / "runs/two/results.csv").c_str());
  r = run_bitblock("report runs/two --rebuild", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_results_csv(dir / "runs/two/results.csv").size(), 2u);
  const std::string md = read_file(dir / "runs/two/report.md");
  EXPECT_NE(md.find("## two"), std::string::npos) << md;
  // Ratio 4 has the least memory, so it is on the accuracy/memory front (bold).
  EXPECT_NE(md.find("| **ratio-4** |"), std::string::npos) << md;
  EXPECT_NE(md.find("ratio-2"), std::string::npos) << md;
}

// --emit slurm through the binary: the three scripts in --out, absolute paths; a sweep on cuda
// asks for a GPU; a bad --device is an input error.
TEST(SweepEndToEnd, EmitSlurmScripts) {
  TempDir dir("emit");
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml", "sweep: two\nbase: tiny.yaml\ngrid:\n  constraints.default.ratio: [2, 4]\n");
  testing_support::CliResult r = run_bitblock("sweep --config sweep.yaml --emit slurm --threads 2 --out jobs", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string array = read_file(dir / "jobs/sweep.sbatch");
  EXPECT_NE(array.find("#SBATCH --array=0-1\n"), std::string::npos) << array;
  EXPECT_NE(array.find("--config '" + dir / "sweep.yaml" + "' --only \"$SLURM_ARRAY_TASK_ID\" --runs-dir '" + dir / "runs'"),
            std::string::npos)
      << array;
  EXPECT_EQ(array.find("gres"), std::string::npos) << array;
  EXPECT_NE(read_file(dir / "jobs/report.sbatch").find("report --rebuild '" + dir / "runs/two'"), std::string::npos);
  EXPECT_NE(read_file(dir / "jobs/submit.sh").find("'" + dir / "jobs/sweep.sbatch'"), std::string::npos);
  EXPECT_TRUE(file_exists(dir / "runs/two"));  // Slurm writes the task logs there

  r = run_bitblock("sweep --config sweep.yaml --emit slurm --set train.device=cuda", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string gpu = read_file(dir / "runs/two/sweep.sbatch");
  EXPECT_NE(gpu.find("#SBATCH --gres=gpu:1\n"), std::string::npos) << gpu;
  EXPECT_NE(gpu.find(" --device cuda --set 'train.device=cuda'\n"), std::string::npos) << gpu;

  r = run_bitblock("sweep --config sweep.yaml --emit slurm --device gpu", dir.path);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--device: 'gpu' is not one of cpu, cuda, auto"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bitblock::experiments
