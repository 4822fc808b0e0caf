// Sweeps: grid expansion, validation of points, resume-skip of finished runs, results.csv
// rebuilt and merged from run folders, Pareto fronts, the Slurm script, and one end-to-end sweep
// of two points through the real binary on a tiny synthetic MNIST.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/experiments/pareto.hpp"
#include "bitblock/experiments/report.hpp"
#include "bitblock/experiments/results.hpp"
#include "bitblock/experiments/runner.hpp"
#include "bitblock/experiments/sweep.hpp"
#include "experiments/test_cli_run.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock::experiments {
namespace {

using testing_support::TempDir;

std::string sweep_yaml(const std::string& extra = "") {
  return "sweep: tinysweep\nbase: tiny.yaml\nset: {train.epochs: 1}\n"
         "grid:\n  constraints.default.weight_bits: [1, 4]\n  constraints.default.ratio: [2, 4]\n" + extra;
}

SweepSpec tiny_spec(const TempDir& dir, const std::string& extra = "") {
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml", sweep_yaml(extra));
  return load_sweep(dir / "sweep.yaml");
}

TEST(SweepGrid, ProductOrderNamesIncludeExclude) {
  TempDir dir("grid");
  SweepSpec spec = tiny_spec(dir,
                             "include:\n  - {constraints.default.structure: none, constraints.default.ratio: 1}\n"
                             "exclude:\n  - {constraints.default.weight_bits: 1, constraints.default.ratio: [4]}\n");
  EXPECT_EQ(spec.base, dir / "tiny.yaml");
  std::vector<GridPoint> p = expand_grid(spec);
  // 2 x 2 product minus (1, 4), then the include point crossed with weight_bits {1, 4}.
  std::vector<std::string> names;
  for (const GridPoint& g : p) names.push_back(g.name);
  EXPECT_EQ(names, (std::vector<std::string>{"weight_bits-1_ratio-2", "weight_bits-4_ratio-2", "weight_bits-4_ratio-4",
                                             "weight_bits-1_structure-none_ratio-1",
                                             "weight_bits-4_structure-none_ratio-1"}));
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(p[i].index, static_cast<int>(i));
    EXPECT_TRUE(p[i].invalid.empty()) << p[i].invalid;
  }
  const std::vector<std::string> o = point_overrides(spec, p[2]);
  EXPECT_EQ(o, (std::vector<std::string>{"train.epochs=1", "constraints.default.weight_bits=4",
                                         "constraints.default.ratio=4", "name=weight_bits-4_ratio-4"}));
}

TEST(SweepGrid, InvalidPointsAreReportedNotFatal) {
  TempDir dir("invalid");
  // ratio 200 needs 200 blocks per block-row; the 784-wide first layer has 98.
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml",
                    "sweep: s\nbase: tiny.yaml\ngrid:\n  constraints.default.ratio: [2, 200]\n"
                    "  constraints.default.weight_bits: [4, 9]\n");
  std::vector<GridPoint> p = expand_grid(load_sweep(dir / "sweep.yaml"));
  ASSERT_EQ(p.size(), 4u);
  EXPECT_TRUE(p[0].invalid.empty());
  EXPECT_NE(p[1].invalid.find("weight_bits"), std::string::npos) << p[1].invalid;
  EXPECT_NE(p[2].invalid.find("ratio 200"), std::string::npos) << p[2].invalid;
  EXPECT_FALSE(p[3].invalid.empty());
}

TEST(SweepGrid, BadSweepFiles) {
  TempDir dir("bad");
  auto expect_error = [&](const std::string& text, const std::string& fragment) {
    write_file_atomic(dir / "s.yaml", text);
    try {
      load_sweep(dir / "s.yaml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(dir / "s.yaml"), std::string::npos) << e.what();
    }
  };
  expect_error("sweep: a\nbase: b.yaml\ngird: {}\n", "gird");
  expect_error("base: b.yaml\n", "sweep");
  expect_error("sweep: a\nbase: b.yaml\ngrid: {x: []}\n", "empty list");
  expect_error("sweep: a\nbase: b.yaml\ngrid: [1, 2]\n", "grid");
  expect_error("sweep: a\nbase: b.yaml\nhwsim: x\n", "hwsim");
}

void fake_finished_run(const std::string& dir, int index, const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& values, double acc, double kib,
                       bool with_hwsim) {
  make_dirs(dir + "/" + name);
  nlohmann::json point = {{"sweep", "s"}, {"index", index}, {"name", name}, {"values", values}};
  write_file_atomic(dir + "/" + name + "/sweep_point.json", point.dump());
  nlohmann::json summary = {{"test_acc", acc}, {"best_test_acc", acc + 0.01}, {"train_seconds", 12.5},
                            {"memory", {{"total_bits", kib * 8192}, {"total_kib", kib}, {"reduction_vs_float32", 100.0 / kib},
                                        {"layers", nlohmann::json::array()}}}};
  write_file_atomic(dir + "/" + name + "/summary.json", summary.dump());
  if (with_hwsim) {
    make_dirs(dir + "/" + name + "/hwsim");
    nlohmann::json hw = {{"energy_nj_per_classification", {{"total", 10 * kib}}},
                         {"area_mm2", {{"total", 0.5}}},
                         {"classifications_per_s", 1000.0}};
    write_file_atomic(dir + "/" + name + "/hwsim/report.json", hw.dump());
  }
}

TEST(SweepResults, RebuiltFromRunFoldersAndRoundTripped) {
  TempDir dir("results");
  // Written out of order, one unfinished run (no summary.json) and one stray folder.
  fake_finished_run(dir.path, 1, "b", {{"k.bits", "3"}, {"k.ratio", "8"}}, 0.98, 20.0, true);
  fake_finished_run(dir.path, 0, "a", {{"k.bits", "1"}, {"k.ratio", "2"}}, 0.97, 10.0, false);
  make_dirs(dir / "c");
  write_file_atomic(dir / "c/sweep_point.json", R"({"index": 2, "name": "c", "values": []})");
  make_dirs(dir / "stray");
  std::vector<ResultRow> rows = collect_results(dir.path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].run, "a");
  EXPECT_EQ(rows[1].run, "b");
  EXPECT_DOUBLE_EQ(rows[1].metrics.at("energy_nj"), 200.0);
  EXPECT_EQ(rows[0].metrics.count("energy_nj"), 0u);
  write_results_csv(dir / "results.csv", rows);
  const std::string csv = read_file(dir / "results.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "run,k.bits,k.ratio,test_acc,best_test_acc,integer_test_acc,weight_bits,weight_kib,reduction_vs_float32,"
            "train_seconds,samples_per_s,energy_nj,area_mm2,classifications_per_s");
  EXPECT_NE(csv.find("\na,1,2,0.97,0.98,,81920,10,10,12.5,,,,\n"), std::string::npos) << csv;
  std::vector<ResultRow> back = read_results_csv(dir / "results.csv");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].keys, rows[1].keys);
  EXPECT_EQ(back[1].metrics, rows[1].metrics);
  write_file_atomic(dir / "bad.csv", "run,x\na,1,2\n");
  EXPECT_THROW(read_results_csv(dir / "bad.csv"), InputError);
}

TEST(SweepPareto, HandMadePoints) {
  // cost, accuracy: (1, .90) front; (2, .89) dominated; (2, .95) front; (3, .95) dominated (same
  // accuracy, more cost); (5, .97) front; (4, .96) front; (5, .97) duplicate kept; (0.5, .5) front.
  const std::vector<CostAccuracy> pts = {{1, .90}, {2, .89}, {2, .95}, {3, .95}, {5, .97}, {4, .96}, {5, .97}, {0.5, .5}};
  EXPECT_EQ(pareto_front(pts), (std::vector<int>{7, 0, 2, 5, 4, 6}));
  EXPECT_TRUE(pareto_front({}).empty());
}

TEST(SweepRunner, FinishedRunsAreSkippedAndSlurmScript) {
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

  opt.threads = 3;
  opt.overrides = {"train.epochs=5"};
  const std::string s = slurm_script(spec, "/abs/sweep.yaml", 4, opt, "/abs/work");
  EXPECT_NE(s.find("#SBATCH --array=0-3\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --cpus-per-task=3\n"), std::string::npos) << s;
  EXPECT_NE(s.find("cd '/abs/work'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("sweep --config '/abs/sweep.yaml' --only \"$SLURM_ARRAY_TASK_ID\""), std::string::npos) << s;
  EXPECT_NE(s.find("--set 'train.epochs=5'"), std::string::npos) << s;
  EXPECT_NE(s.find("report --rebuild " + opt.runs_dir + "/tinysweep"), std::string::npos) << s;
}

TEST(SweepEndToEnd, TwoPointsThroughTheBinaryThenReport) {
  TempDir dir("e2e");
  testing_support::write_tiny_mnist(dir / "data");
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml",
                    "sweep: two\nbase: tiny.yaml\nset: {train.epochs: 1}\ngrid:\n  constraints.default.ratio: [2, 4]\n");
  testing_support::CliResult r = testing_support::run_bitblock("sweep --config sweep.yaml --data-dir data --jobs 2", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::vector<ResultRow> rows = read_results_csv(dir / "runs/two/results.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].run, "ratio-2");
  EXPECT_EQ(rows[1].run, "ratio-4");
  for (const ResultRow& row : rows) {
    EXPECT_GT(row.metrics.at("test_acc"), 0.0);
    EXPECT_GT(row.metrics.at("weight_kib"), 0.0);
  }
  // Ratio 4 keeps fewer blocks than ratio 2 in the first layer: less memory.
  EXPECT_LT(rows[1].metrics.at("weight_kib"), rows[0].metrics.at("weight_kib"));
  // A second sweep finds both finished and runs nothing.
  r = testing_support::run_bitblock("sweep --config sweep.yaml --data-dir data", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 ran, 0 failed, 2 finished before"), std::string::npos) << r.out;
  r = testing_support::run_bitblock("report runs/two --rebuild", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string md = read_file(dir / "runs/two/report.md");
  EXPECT_NE(md.find("## two"), std::string::npos) << md;
  // Ratio 4 has the least memory, so it is on the accuracy/memory front (bold).
  EXPECT_NE(md.find("| **ratio-4** |"), std::string::npos) << md;
  EXPECT_NE(md.find("ratio-2"), std::string::npos) << md;
}

}  // namespace
}  // namespace bitblock::experiments
