// Command injection through names, paths and data (issue 22): names that reach a folder, --out
// paths, hwsim --out, sweep name templates and results.csv values that a shell or gnuplot would
// run. Every case here ran `touch` before (exit 0); now names are refused (exit 2 naming the key)
// and paths and data are used literally. Each checks that no marker file appears.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/gnuplot.hpp"
#include "experiments/cli_suite.hpp"
#include "experiments/test_cli_run.hpp"

namespace bitblock {
namespace {

using testing_support::CliResult;
using testing_support::quoted;
using testing_support::run_bitblock;
using testing_support::tiny_write;

class CliInjection : public testing_support::CliSuite<CliInjection> {
 public:
  static constexpr const char* kFolder = "cli_injection";
  static constexpr bool kFinishedRun = false;

 protected:
  // No marker (a file named MARK<n>, what the `touch`es make) anywhere under the test folder.
  static void expect_no_marker() {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_->path)) {
      const std::string name = e.path().filename().string();
      EXPECT_FALSE(name.rfind("MARK", 0) == 0 && name.find_first_not_of("0123456789", 4) == std::string::npos)
          << "a command ran: " << e.path();
    }
  }
};

TEST_F(CliInjection, RunNamesAreFolderNames) {
  for (const std::string& name : {std::string("r$(touch MARK1)"), std::string("../../escaped"), std::string(".."),
                                  std::string("a'b"), std::string("x;touch MARK2")}) {
    testing_support::expect_bad_input(
        "train --config cfg.yaml --data-dir data --quiet --set " + quoted("name=" + name), dir_->path, "train",
        {"cfg.yaml: key 'name'"});
  }
  tiny_write(path("dots.yaml"), std::string(testing_support::tiny_mlp_yaml()).replace(0, 10, "name: ../../escaped\n"));
  testing_support::expect_bad_input("train --config dots.yaml --data-dir data", dir_->path, "train",
                                    {"dots.yaml: key 'name'", "'../../escaped'"});
  EXPECT_FALSE(file_exists(path("runs")));
  EXPECT_FALSE(file_exists(dir_->path + "/../escaped"));
  expect_no_marker();
}

TEST_F(CliInjection, OutPathsAreUsedLiterally) {
  const std::string out = "o`touch MARK3` $(touch MARK4) 'q'; touch MARK5";
  CliResult r = run_bitblock("train --config cfg.yaml --data-dir data --quiet --threads 1 --out " + quoted(out), dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(file_exists(path(out + "/model.bbm")));
  if (gnuplot_available()) {
    EXPECT_TRUE(file_exists(path(out + "/curves.png")));
  }
  const std::string hw = "hw'; touch MARK6; '$(touch MARK7)";
  r = run_bitblock("hwsim --model " + quoted(out + "/model.bbm") + " --arch " + std::string(BITBLOCK_SOURCE_DIR) +
                       "/hwsim/arch/small.yaml --data-dir data --limit 20 --sensitivity --sweep lanes=8,16 --out " +
                       quoted(hw),
                   dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(file_exists(path(hw + "/report.json")));
  if (gnuplot_available()) {
    for (const char* png : {"energy_components.png", "sweep.png", "tornado.png"})
      EXPECT_TRUE(file_exists(path(hw + "/" + png))) << png;
  }
  expect_no_marker();
}

TEST_F(CliInjection, SweepNamesAndTemplates) {
  const std::string grid = "base: cfg.yaml\nset: {train.epochs: 1}\ngrid: {constraints.default.ratio: [2, 4]}\n";
  tiny_write(path("s1.yaml"), "sweep: s1\nname: \"r{ratio}$(touch MARK8)\"\n" + grid);
  testing_support::expect_bad_input("sweep --config s1.yaml --data-dir data", dir_->path, "sweep",
                                    {"s1.yaml: key 'name'", "r2$(touch MARK8)"});
  tiny_write(path("s2.yaml"), "sweep: s2\nname: \"../../out{ratio}\"\n" + grid);
  testing_support::expect_bad_input("sweep --config s2.yaml --data-dir data", dir_->path, "sweep",
                                    {"s2.yaml: key 'name'", "../../out2"});
  tiny_write(path("s3.yaml"), "sweep: \"s$(touch MARK9)\"\n" + grid);
  testing_support::expect_bad_input("sweep --config s3.yaml --data-dir data", dir_->path, "sweep",
                                    {"s3.yaml: key 'sweep'"});
  EXPECT_FALSE(file_exists(path("runs")));
  expect_no_marker();
}

// A results.csv (shared on a cluster) whose values are gnuplot commands.
TEST_F(CliInjection, ReportOfAHostileResultsCsv) {
  const std::string sweep = "sw'; system('touch MARK13'); '";
  make_dirs(path(sweep));
  const std::string evil = "x'; system('touch MARK10'); print '";
  const std::string evil2 = "y\"`touch MARK11` @M \\";
  auto cell = [](const std::string& v) {
    std::string out = "\"";
    for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  // The case: a structure value in an ordinary sweep folder.
  make_dirs(path("sw"));
  tiny_write(path("sw/results.csv"),
             "run,constraints.default.structure,test_acc,weight_kib\na," + cell(evil) + ",0.9,10\nb,row,0.95,20\n");
  CliResult r = run_bitblock("report sw", dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  if (gnuplot_available()) {
    EXPECT_TRUE(file_exists(path("sw/sw_acc_vs_memory.png"))) << r.out;
  }
  expect_no_marker();
  // Hostile run names, values and sweep folder name together.
  tiny_write(path(sweep + "/results.csv"),
             "run,constraints.default.structure,test_acc,weight_kib\n" + cell("a';system('touch MARK14');'") + "," +
                 cell(evil) + ",0.9,10\nb," + cell(evil2) + ",0.95,20\n");
  r = run_bitblock("report " + quoted(sweep), dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(file_exists(path(sweep + "/report.md")));
  if (gnuplot_available()) {
    EXPECT_TRUE(file_exists(path(sweep + "/" + sweep + "_acc_vs_memory.png"))) << r.out;
  }
  expect_no_marker();
}

}  // namespace
}  // namespace bitblock
