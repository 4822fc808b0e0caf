// Ctrl-C (SIGINT) or SIGTERM (timeout, Slurm) on a running `bitblock train`: it finishes the
// batch, writes a loadable checkpoint and exits with 130 or 143; `--resume` then finishes the run
// with the same metrics as a run that was never interrupted.
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/checkpoint.hpp"
#include "experiments/test_cli_run.hpp"

namespace bitblock {
namespace {

using testing_support::CliResult;
using testing_support::run_bitblock;
using testing_support::TempDir;

// metrics.csv without the timing columns (samples_per_s, seconds).
std::vector<std::string> metrics_without_timings(const std::string& path) {
  std::vector<std::string> rows;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::istringstream cs(line);
    std::string cell, kept;
    for (int i = 0; i < 6 && std::getline(cs, cell, ','); ++i) kept += cell + ",";
    rows.push_back(kept);
  }
  return rows;
}

void interrupt_then_resume(int sig) {
  TempDir dir("cli_signal");
  // 3000 images, a 256-wide hidden layer, 3 epochs: long enough (~1 s or more) to interrupt.
  testing_support::write_tiny_mnist(dir / "data", 3000, 100);
  testing_support::tiny_write(dir / "cfg.yaml", testing_support::tiny_mlp_yaml());
  const std::vector<std::string> common = {"--config", "cfg.yaml", "--set", "model.layers[1].out=256",
                                           "--set", "train.epochs=3", "--set", "train.log_every=1",
                                           "--data-dir", "data", "--threads", "2"};
  std::vector<std::string> args = {"train"};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), {"--out", "run"});

  const pid_t pid = testing_support::spawn_bitblock(args, dir.path);
  ASSERT_GT(pid, 0);
  // The first progress line is written after the SIGINT handler is installed.
  const bool started = testing_support::wait_for_text(dir / "run/log", "epoch 1/3  batch", pid, 60.0);
  if (started) kill(pid, sig);
  const int code = started ? testing_support::wait_exit(pid) : -1;
  ASSERT_TRUE(started) << "training never logged a batch: " << testing_support::slurp(dir / ".bg_stderr");
  EXPECT_EQ(code, 128 + sig) << testing_support::slurp(dir / ".bg_stderr");

  Checkpoint ck = load_checkpoint(dir / "run/checkpoint.bbc");
  EXPECT_LT(ck.position.epoch, 3);
  EXPECT_GT(ck.position.optimizer_step, 0);
  EXPECT_LT(ck.position.optimizer_step, 180) << "interrupted before the last of 3 x 60 batches";
  EXPECT_FALSE(file_exists(dir / "run/model.bbm"));
  EXPECT_NE(read_file(dir / "run/log").find("interrupted"), std::string::npos);

  std::string resume = "train";
  for (const std::string& a : common) resume += " " + testing_support::quoted(a);
  CliResult finished = run_bitblock(resume + " --out run --resume --quiet", dir.path);
  ASSERT_EQ(finished.code, 0) << finished.err;
  EXPECT_EQ(load_checkpoint(dir / "run/checkpoint.bbc").history.size(), 3u);
  EXPECT_TRUE(file_exists(dir / "run/model.bbm"));

  CliResult straight = run_bitblock(resume + " --out straight --quiet", dir.path);
  ASSERT_EQ(straight.code, 0) << straight.err;
  const auto a = metrics_without_timings(dir / "run/metrics.csv");
  const auto b = metrics_without_timings(dir / "straight/metrics.csv");
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(read_file(dir / "run/model.bbm") == read_file(dir / "straight/model.bbm")) << "model files differ";
}

TEST(CliInterrupt, SigintWritesCheckpointExits130AndResumeFinishesTheRun) { interrupt_then_resume(SIGINT); }

// Before issue 22 SIGTERM ended the process at once: exit 143, but no checkpoint.
TEST(CliInterrupt, SigtermWritesCheckpointExits143AndResumeFinishesTheRun) { interrupt_then_resume(SIGTERM); }

}  // namespace
}  // namespace bitblock
