#pragma once
// The setup the CLI test suites share: one temporary folder per suite with the tiny synthetic
// MNIST (data/) and the tiny MLP config (cfg.yaml), and for suites that damage or extend a
// finished run, that run trained once (done/). A suite derives from CliSuite<itself> and names its
// folder (kFolder) and whether it needs the run (kFinishedRun).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "experiments/test_cli_run.hpp"

namespace bitblock::testing_support {

template <typename Suite>
class CliSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>(Suite::kFolder);
    write_tiny_mnist(dir_->path + "/data");
    tiny_write(path("cfg.yaml"), tiny_mlp_yaml());
    if (Suite::kFinishedRun)
      done_ = run_bitblock("train --config cfg.yaml --data-dir data --out done --quiet --threads 1", dir_->path).code;
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::string path(const std::string& name) { return dir_->path + "/" + name; }
  static CliResult run(const std::string& args) { return run_bitblock(args, dir_->path); }
  // Exit 2 and one stderr line "bitblock <command>: error: ..." holding every fragment.
  static void expect_bad_input(const std::string& args, const std::string& command,
                               const std::vector<std::string>& fragments) {
    testing_support::expect_bad_input(args, dir_->path, command, fragments);
  }
  // A copy of the finished run at `to`, to damage or extend.
  static void copy_run(const std::string& to) {
    ASSERT_EQ(done_, 0) << "the suite's training run failed";
    copy_tree(path("done"), path(to));
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline int done_ = -1;  // exit code of the finished run's training
};

}  // namespace bitblock::testing_support
