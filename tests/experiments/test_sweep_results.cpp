// results.csv rebuilt and merged from run folders, its round trip, and Pareto fronts on
// hand-made points.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/experiments/pareto.hpp"
#include "bitblock/experiments/results.hpp"
#include "experiments/sweep_fixtures.hpp"

namespace bitblock::experiments {
namespace {

using testing_support::fake_finished_run;
using testing_support::TempDir;

TEST(SweepResults, RebuiltFromRunFoldersAndRoundTripped) {
  TempDir dir("results");
  // Written out of order (as Slurm array tasks finish), one unfinished run (no summary.json) and
  // one stray folder.
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
  EXPECT_DOUBLE_EQ(rows[1].metrics.at("area_mm2"), 0.5);
  EXPECT_EQ(rows[0].metrics.count("energy_nj"), 0u);
  write_results_csv(dir / "results.csv", rows);
  const std::string csv = read_file(dir / "results.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "run,k.bits,k.ratio,test_acc,best_test_acc,integer_test_acc,weight_bits,weight_kib,reduction_vs_float32,"
            "train_seconds,samples_per_s,energy_nj,area_mm2,classifications_per_s");
  EXPECT_NE(csv.find("\na,1,2,0.97,0.98,,81920,10,10,12.5,,,,\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nb,3,8,0.98,0.99,,163840,20,5,12.5,,200,0.5,1000\n"), std::string::npos) << csv;
  std::vector<ResultRow> back = read_results_csv(dir / "results.csv");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].keys, rows[1].keys);
  EXPECT_EQ(back[1].metrics, rows[1].metrics);

  // A run that lands later (another array task) appears on the next rebuild.
  fake_finished_run(dir.path, 2, "c", {{"k.bits", "32"}, {"k.ratio", "1"}}, 0.99, 100.0, false);
  rows = collect_results(dir.path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].run, "c");

  write_file_atomic(dir / "bad.csv", "run,x\na,1,2\n");
  EXPECT_THROW(read_results_csv(dir / "bad.csv"), InputError);
  write_file_atomic(dir / "bad2.csv", "run,test_acc\na,high\n");
  EXPECT_THROW(read_results_csv(dir / "bad2.csv"), InputError);
  EXPECT_THROW(collect_results(dir / "missing"), InputError);
}

// Slurm array tasks that finish at the same moment each rebuild results.csv: every one of them
// must be in the file afterwards. Processes (as tasks are), released together by closing a pipe.
TEST(SweepResults, TasksFinishingAtOnceAllLand) {
  constexpr int kTasks = 12;
  constexpr int kRounds = 25;
  for (int round = 0; round < kRounds; ++round) {
    TempDir dir("concurrent");
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    std::vector<pid_t> children;
    for (int t = 0; t < kTasks; ++t) {
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(gate[1]);
        char c;
        while (::read(gate[0], &c, 1) > 0) {
        }
        int rc = 0;
        try {
          const std::string name = "run" + std::to_string(t);
          fake_finished_run(dir.path, t, name, {{"k", std::to_string(t)}}, 0.5, 1.0 + t, false);
          update_results_csv(dir.path);
        } catch (...) {
          rc = 1;
        }
        ::_exit(rc);
      }
      children.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);  // go
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    const std::vector<ResultRow> rows = read_results_csv(dir / "results.csv");
    ASSERT_EQ(rows.size(), static_cast<size_t>(kTasks)) << "round " << round << ":\n" << read_file(dir / "results.csv");
    for (int t = 0; t < kTasks; ++t) EXPECT_EQ(rows[static_cast<size_t>(t)].run, "run" + std::to_string(t));
  }
}

// Found by fuzz_results_csv: a huge accuracy overflowed the report's accuracy levels (undefined
// behaviour); accuracies above 1, negative or non-finite costs, and trailing text would sit on a
// front. Each is now an error naming the line and column.
TEST(SweepResults, MetricsOutOfRangeAreErrors) {
  TempDir dir("results_range");
  auto expect_error = [&](const std::string& row, const std::vector<std::string>& fragments) {
    write_file_atomic(dir / "r.csv", "run,k,test_acc,weight_kib\n" + row + "\n");
    testing_support::expect_input_error([&] { read_results_csv(dir / "r.csv"); }, fragments);
  };
  expect_error("a,x,5555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555,2",
               {"r.csv: line 2: test_acc is 5555", "expected 0 to 1"});
  expect_error("a,x,2.5,2", {"line 2: test_acc is 2.5"});
  expect_error("a,x,0.5,-3", {"line 2: weight_kib is -3", "finite number >= 0"});
  expect_error("a,x,0.5,nan", {"line 2: weight_kib is nan"});
  expect_error("a,x,0.5,inf", {"line 2: weight_kib is inf"});
  expect_error("a,x,0.5x,2", {"line 2: test_acc '0.5x' is not a number"});
  write_file_atomic(dir / "ok.csv", "run,k,test_acc,weight_kib\na,x,1,0\n");
  EXPECT_EQ(read_results_csv(dir / "ok.csv").size(), 1u);
}

TEST(SweepResults, KeysWithCommasAreQuoted) {
  TempDir dir("quote");
  fake_finished_run(dir.path, 0, "a", {{"constraints.default.block", "[8, 8]"}}, 0.9, 1.0, false);
  std::vector<ResultRow> rows = collect_results(dir.path);
  write_results_csv(dir / "results.csv", rows);
  EXPECT_NE(read_file(dir / "results.csv").find("\na,\"[8, 8]\",0.9,"), std::string::npos);
  EXPECT_EQ(read_results_csv(dir / "results.csv")[0].keys[0].second, "[8, 8]");
}

TEST(SweepPareto, HandMadePoints) {
  // cost, accuracy: (1, .90) front; (2, .89) dominated; (2, .95) front; (3, .95) dominated (same
  // accuracy, more cost); (5, .97) front; (4, .96) front; (5, .97) duplicate kept; (0.5, .5) front.
  const std::vector<CostAccuracy> pts = {{1, .90}, {2, .89}, {2, .95}, {3, .95}, {5, .97}, {4, .96}, {5, .97}, {0.5, .5}};
  EXPECT_EQ(pareto_front(pts), (std::vector<int>{7, 0, 2, 5, 4, 6}));
  EXPECT_TRUE(pareto_front({}).empty());
  EXPECT_EQ(pareto_front({{3, .5}}), (std::vector<int>{0}));
  // One point best at both: the front is that point alone.
  EXPECT_EQ(pareto_front({{2, .9}, {1, .99}, {3, .95}}), (std::vector<int>{1}));
}

}  // namespace
}  // namespace bitblock::experiments
