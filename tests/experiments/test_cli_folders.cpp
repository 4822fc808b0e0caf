// Who may write a run or sweep folder, and what a folder keeps (issue 22): an exclusive lock per
// folder (a second train or sweep gets exit 2 naming the holder's pid; a killed holder blocks
// nobody), --restart that checks the new run starts before removing the old one, a config.yaml
// alone that is not overwritten, a planted `log` symlink that is not followed, and a sweep that
// simulates again a run whose hwsim was killed. Each case lost or mixed results before.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/folder_lock.hpp"
#include "bitblock/experiments/results.hpp"
#include "experiments/cli_suite.hpp"
#include "experiments/test_cli_run.hpp"

namespace bitblock {
namespace {

using testing_support::CliResult;
using testing_support::run_bitblock;
using testing_support::tiny_write;

class CliFolders : public testing_support::CliSuite<CliFolders> {
 public:
  static constexpr const char* kFolder = "cli_folders";
  static constexpr bool kFinishedRun = true;
};

// The lock held by this test process: train and sweep name its pid and write nothing.
TEST_F(CliFolders, ALockedRunOrSweepFolderIsExitTwoNamingTheHolder) {
  copy_run("locked");
  const std::string metrics = read_file(path("locked/metrics.csv"));
  const std::string pid = std::to_string(::getpid());
  {
    FolderLock held(path("locked"), "run folder");
    for (const char* how : {"--resume", "--restart"})
      expect_bad_input(std::string("train --config cfg.yaml --data-dir data --out locked ") + how, "train",
                       {"locked: the run folder is in use by process " + pid});
    EXPECT_EQ(read_file(path("locked/metrics.csv")), metrics);
  }
  tiny_write(path("sweep.yaml"), "sweep: sw\nbase: cfg.yaml\nset: {train.epochs: 1}\ngrid: {seed: [1]}\n");
  make_dirs(path("runs/sw"));
  {
    FolderLock held(path("runs/sw"), "sweep folder");
    expect_bad_input("sweep --config sweep.yaml --data-dir data", "sweep",
                     {"runs/sw: the sweep folder is in use by process " + pid});
  }
  EXPECT_FALSE(file_exists(path("runs/sw/seed-1")));
  // Released: the same commands work.
  const CliResult r = run_bitblock("train --config cfg.yaml --data-dir data --out locked --restart --quiet", dir_->path);
  EXPECT_EQ(r.code, 0) << r.err;
}

// Two real trainings into one folder: the second is refused while the first runs; after the
// first is killed (SIGKILL: no clean-up), its lock file blocks nobody and --resume finishes.
TEST_F(CliFolders, SecondTrainIsRefusedAndAKilledHolderBlocksNobody) {
  testing_support::write_tiny_mnist(path("big"), 3000, 100);
  const std::vector<std::string> args = {"train", "--config", "cfg.yaml", "--set", "model.layers[1].out=256",
                                         "--set", "train.epochs=3", "--set", "train.log_every=1",
                                         "--data-dir", "big", "--threads", "1", "--out", "two"};
  const pid_t first = testing_support::spawn_bitblock(args, dir_->path);
  ASSERT_GT(first, 0);
  const bool started = testing_support::wait_for_text(path("two/log"), "epoch 1/3  batch", first, 60.0);
  std::string second_err;
  int second = -1;
  if (started) {
    const CliResult r = run_bitblock(
        "train --config cfg.yaml --set model.layers[1].out=256 --set train.epochs=3 --set train.log_every=1 "
        "--data-dir big --threads 1 --out two --quiet",
        dir_->path);
    second = r.code;
    second_err = r.err;
    kill(first, SIGKILL);
  }
  const int first_code = testing_support::wait_exit(first);
  ASSERT_TRUE(started) << testing_support::slurp(path(".bg_stderr"));
  EXPECT_EQ(first_code, 128 + SIGKILL);
  EXPECT_EQ(second, 2) << second_err;
  EXPECT_NE(second_err.find("two: the run folder is in use by process " + std::to_string(first)), std::string::npos)
      << second_err;
  EXPECT_TRUE(file_exists(path("two/.lock")));
  // Killed in epoch 1: no checkpoint, so --resume starts the run again in the folder.
  const CliResult same = run_bitblock(
      "train --config cfg.yaml --set model.layers[1].out=256 --set train.epochs=3 --set train.log_every=1 "
      "--data-dir big --threads 1 --out two --resume --quiet",
      dir_->path);
  EXPECT_EQ(same.code, 0) << same.err;
  EXPECT_TRUE(file_exists(path("two/model.bbm")));
}

// --restart with a wrong --data-dir or damaged data used to remove the run, then fail.
TEST_F(CliFolders, RestartChecksTheNewRunBeforeRemovingTheOldOne) {
  copy_run("keep");
  const std::string metrics = read_file(path("keep/metrics.csv"));
  expect_bad_input("train --config cfg.yaml --data-dir nowhere --out keep --restart", "train", {"nowhere"});
  testing_support::copy_tree(path("data"), path("damaged"));
  const std::string images = path("damaged/mnist/train-images-idx3-ubyte");
  tiny_write(images, read_file(images).substr(0, 1000));
  expect_bad_input("train --config cfg.yaml --data-dir damaged --out keep --restart", "train",
                   {"train-images-idx3-ubyte"});
  expect_bad_input("train --config cfg.yaml --data-dir data --out keep --restart --set train.optimizer.lr=-1", "train",
                   {"cfg.yaml"});
  EXPECT_EQ(read_file(path("keep/metrics.csv")), metrics);
  EXPECT_TRUE(file_exists(path("keep/model.bbm")));
  EXPECT_TRUE(file_exists(path("keep/checkpoint.bbc")));
}

TEST_F(CliFolders, ConfigYamlAloneIsNotOverwritten) {
  make_dirs(path("alone"));
  tiny_write(path("alone/config.yaml"), "mine: 1\n");
  expect_bad_input("train --config cfg.yaml --data-dir data --out alone", "train",
                   {"alone/config.yaml: exists", "--restart"});
  expect_bad_input("train --config cfg.yaml --data-dir data --out alone --resume", "train", {"alone/config.yaml"});
  EXPECT_EQ(read_file(path("alone/config.yaml")), "mine: 1\n");
  // The run's own config (how a sweep starts a run), or --restart, may write there.
  CliResult r = run_bitblock("train --config alone/config.yaml --data-dir data --out alone --quiet", dir_->path);
  EXPECT_EQ(r.code, 2);  // "mine: 1" is no config: refused by the config reader, not the folder check
  EXPECT_EQ(r.err.find("exists"), std::string::npos) << r.err;
  r = run_bitblock("train --config cfg.yaml --data-dir data --out alone --restart --quiet --threads 1", dir_->path);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(read_file(path("alone/config.yaml")).find("name: tiny"), std::string::npos);
}

TEST_F(CliFolders, APlantedLogSymlinkIsNotFollowed) {
  make_dirs(path("planted"));
  tiny_write(path("victim.txt"), "precious\n");
  std::filesystem::create_symlink(path("victim.txt"), path("planted/log"));
  expect_bad_input("train --config cfg.yaml --data-dir data --out planted", "train",
                   {"planted/log: is a symbolic link"});
  EXPECT_EQ(read_file(path("victim.txt")), "precious\n");
}

// The sweep's logs of its children are opened the same way: a planted sweep.log link makes that
// run fail (reported, exit 1), and the file it points to is untouched.
TEST_F(CliFolders, APlantedSweepLogSymlinkIsNotFollowed) {
  tiny_write(path("sl.yaml"), "sweep: sl\nbase: cfg.yaml\nset: {train.epochs: 1}\ngrid: {seed: [1]}\n");
  make_dirs(path("runs/sl/seed-1"));
  tiny_write(path("victim2.txt"), "precious\n");
  std::filesystem::create_symlink(path("victim2.txt"), path("runs/sl/seed-1/sweep.log"));
  const CliResult r = run_bitblock("sweep --config sl.yaml --data-dir data --threads 1", dir_->path);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("sweep.log: is a symbolic link"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 ran, 1 failed"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(path("victim2.txt")), "precious\n");
}

// A sweep killed while hwsim ran leaves hwsim.log and a partial hwsim/ (no report.json): the
// next sweep simulates the run again. A hwsim that failed (exit 2) is not retried.
TEST_F(CliFolders, AKilledSimulationIsDoneAgain) {
  tiny_write(path("hw.yaml"), "sweep: hw\nbase: cfg.yaml\nset: {train.epochs: 1}\nhwsim: {arch: " +
                                  std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/arch/small.yaml}\n"
                                  "grid: {constraints.default.ratio: [2, 4]}\n");
  CliResult r = run_bitblock("sweep --config hw.yaml --data-dir data --threads 1", dir_->path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  ASSERT_TRUE(file_exists(path("runs/hw/ratio-2/hwsim/report.json")));
  // What a kill leaves: the log of the attempt, the reports written before report.json.
  std::remove(path("runs/hw/ratio-2/hwsim/report.json").c_str());
  tiny_write(path("runs/hw/ratio-2/hwsim.log"), "");
  // A finished attempt that failed, as the runner records it.
  std::remove(path("runs/hw/ratio-4/hwsim/report.json").c_str());
  tiny_write(path("runs/hw/ratio-4/hwsim.log"),
             "bitblock hwsim: error: ...\nbitblock sweep: hwsim ended with exit code 2\n");
  r = run_bitblock("sweep --config hw.yaml --data-dir data --threads 1", dir_->path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 ran, 0 failed, 2 finished before (1 of them simulated or exported now)"), std::string::npos) << r.out;
  EXPECT_TRUE(file_exists(path("runs/hw/ratio-2/hwsim/report.json")));
  EXPECT_FALSE(file_exists(path("runs/hw/ratio-4/hwsim/report.json")));
  const std::vector<experiments::ResultRow> rows = experiments::read_results_csv(path("runs/hw/results.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].run, "ratio-2");
  EXPECT_GT(rows[0].metrics.count("energy_nj"), 0u);
}

TEST_F(CliFolders, HelpListsTheExitCodes) {
  const CliResult r = run_bitblock("--help", dir_->path);
  EXPECT_EQ(r.code, 0);
  for (const char* code : {"2 bad input", "130 interrupted (SIGINT)", "143 terminated (SIGTERM)"})
    EXPECT_NE(r.out.find(code), std::string::npos) << code << " missing: " << r.out;
}

}  // namespace
}  // namespace bitblock
