// `bitblock` end to end through the real binary on a tiny synthetic MNIST: help, train and the
// files of its run folder, eval of the checkpoint and of the model file against what the run
// recorded, export, summary (table, --set with a flow list, JSON), and --resume of a finished run.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/device.hpp"
#include "experiments/test_cli_run.hpp"

namespace bitblock {
namespace {

using testing_support::CliResult;
using testing_support::quoted;
using testing_support::run_bitblock;
using testing_support::TempDir;

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cs(line);
    for (std::string cell; std::getline(cs, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

// The number after `key` in text ("accuracy 97.00%" -> 97.0); NaN when absent.
double number_after(const std::string& text, const std::string& key) {
  const size_t at = text.find(key);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(text.c_str() + at + key.size(), nullptr);
}

// One trained run shared by the tests (training is the slow part).
class CliTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("cli_train");
    testing_support::write_tiny_mnist(dir_->path + "/data");
    testing_support::tiny_write(config(), testing_support::tiny_mlp_yaml());
    train_result_ = std::make_unique<CliResult>(
        run_bitblock("train --config cfg.yaml --data-dir data --out run --threads 2", dir_->path));
  }
  static void TearDownTestSuite() {
    train_result_.reset();
    dir_.reset();
  }
  static std::string path(const std::string& name) { return dir_->path + "/" + name; }
  static std::string config() { return path("cfg.yaml"); }

  static std::unique_ptr<TempDir> dir_;
  static std::unique_ptr<CliResult> train_result_;
};
std::unique_ptr<TempDir> CliTrain::dir_;
std::unique_ptr<CliResult> CliTrain::train_result_;

TEST(Cli, HelpListsTheCommandsAndExitCodes) {
  TempDir dir("cli_help");
  CliResult r = run_bitblock("--help", dir.path);
  EXPECT_EQ(r.code, 0);
  for (const char* cmd : {"train", "eval", "summary", "export", "hwsim", "data"})
    EXPECT_NE(r.out.find(std::string("  ") + cmd + " "), std::string::npos) << cmd << " missing from:\n" << r.out;
  EXPECT_NE(r.out.find("130 interrupted"), std::string::npos) << r.out;
  EXPECT_EQ(run_bitblock("", dir.path).code, 2);                // no command: usage, bad input
  CliResult sub = run_bitblock("train --help", dir.path);
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--resume"), std::string::npos) << sub.out;
}

TEST_F(CliTrain, TrainWritesTheRunFolder) {
  ASSERT_EQ(train_result_->code, 0) << train_result_->err;
  EXPECT_TRUE(train_result_->err.empty()) << train_result_->err;
  for (const char* f : {"config.yaml", "metrics.csv", "log", "checkpoint.bbc", "summary.json", "model.bbm"})
    EXPECT_TRUE(file_exists(path(std::string("run/") + f))) << f;

  // config.yaml: the resolved config, parseable, with the file's values.
  ExperimentConfig c = parse_config(read_file(path("run/config.yaml")), "run/config.yaml");
  EXPECT_EQ(c.name, "tiny");
  EXPECT_EQ(c.seed, 3u);
  EXPECT_EQ(c.epochs, 2);
  EXPECT_EQ(c.layers.size(), 7u);

  auto rows = read_csv(path("run/metrics.csv"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc",
                                                "samples_per_s", "seconds"}));
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 8u);
    EXPECT_EQ(std::stoi(rows[i][0]), static_cast<int>(i));
    EXPECT_DOUBLE_EQ(std::stod(rows[i][1]), 0.01);
    const double acc = std::stod(rows[i][5]);
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
  }
  EXPECT_GT(std::stod(rows[2][5]), 0.8) << "the tiny set is easy";

  const std::string log = read_file(path("run/log"));
  EXPECT_NE(log.find("epoch 1/2 done"), std::string::npos) << log;
  EXPECT_NE(log.find("epoch 2/2 done"), std::string::npos) << log;
  EXPECT_NE(log.find("integer-only test accuracy"), std::string::npos) << log;

  nlohmann::json s = nlohmann::json::parse(read_file(path("run/summary.json")));
  EXPECT_EQ(s["name"], "tiny");
  EXPECT_EQ(s["epochs"].get<int>(), 2);
  EXPECT_NEAR(s["test_acc"].get<double>(), std::stod(rows[2][5]), 1e-6);
  EXPECT_EQ(s["model_file"], "model.bbm");
  EXPECT_GT(s["model_file_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(s["model_file_bytes"].get<int64_t>(), static_cast<int64_t>(read_file(path("run/model.bbm")).size()));
  // 32x784 4-bit, 1/2 of the 8x8 blocks; 10x32 4-bit dense (values only).
  EXPECT_EQ(s["memory"]["value_bits"].get<int64_t>(), (196 * 64 + 320) * 4);

  Checkpoint ck = load_checkpoint(path("run/checkpoint.bbc"));
  EXPECT_EQ(ck.position.epoch, 2);
  EXPECT_EQ(ck.history.size(), 2u);
}

TEST_F(CliTrain, EvalOfTheCheckpointReproducesTheLastMetricsRow) {
  ASSERT_EQ(train_result_->code, 0) << train_result_->err;
  CliResult r = run_bitblock("eval --checkpoint run/checkpoint.bbc --data-dir data", dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  auto rows = read_csv(path("run/metrics.csv"));
  const double csv_acc = 100.0 * std::stod(rows.back()[5]);
  const double csv_loss = std::stod(rows.back()[4]);
  EXPECT_NEAR(number_after(r.out, "accuracy "), csv_acc, 0.006) << r.out;
  EXPECT_NEAR(number_after(r.out, "loss "), csv_loss, 6e-5) << r.out;
  EXPECT_NE(r.out.find("100 images"), std::string::npos) << r.out;
}

TEST_F(CliTrain, EvalAndExportOfTheModelFileGiveTheRecordedIntegerAccuracy) {
  ASSERT_EQ(train_result_->code, 0) << train_result_->err;
  nlohmann::json s = nlohmann::json::parse(read_file(path("run/summary.json")));
  const double int_acc = 100.0 * s["integer_test_acc"].get<double>();

  CliResult ev = run_bitblock("eval --model run/model.bbm --data-dir data", dir_->path);
  ASSERT_EQ(ev.code, 0) << ev.err;
  EXPECT_NEAR(number_after(ev.out, "accuracy "), int_acc, 0.006) << ev.out;

  CliResult ex = run_bitblock("export --checkpoint run/checkpoint.bbc --out again.bbm --data-dir data", dir_->path);
  ASSERT_EQ(ex.code, 0) << ex.err;
  EXPECT_NEAR(number_after(ex.out, "test accuracy "), int_acc, 0.006) << ex.out;
  EXPECT_TRUE(file_exists(path("again.bbm")));

  CliResult sm = run_bitblock("summary --model run/model.bbm", dir_->path);
  EXPECT_EQ(sm.code, 0) << sm.err;
  EXPECT_NE(sm.out.find("2 stages"), std::string::npos) << sm.out;
}

TEST_F(CliTrain, ResumeOfAFinishedRunChangesNothing) {
  ASSERT_EQ(train_result_->code, 0) << train_result_->err;
  TempDir copy("cli_resume_done");
  testing_support::copy_tree(path("run"), copy / "run");
  const std::string metrics = read_file(copy / "run/metrics.csv");
  CliResult r = run_bitblock("train --config " + quoted(config()) + " --data-dir " + quoted(path("data")) +
                                 " --out run --resume --quiet",
                             copy.path);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(copy / "run/metrics.csv"), metrics);
  EXPECT_EQ(load_checkpoint(copy / "run/checkpoint.bbc").history.size(), 2u);
  EXPECT_NE(read_file(copy / "run/log").find("resuming"), std::string::npos);
}

// The default device is auto: a usable GPU, else the CPU with one log line saying so. --device cpu
// trains on the CPU without that line, and the checkpoint evaluates on any device asked for.
TEST_F(CliTrain, AutoDeviceFallsBackToTheCpuWithOneLine) {
  const std::string log = read_file(path("run/log"));
  std::string why;
  if (cuda_usable(&why)) {
    EXPECT_NE(log.find("device NVIDIA"), std::string::npos) << log;
    return;
  }
  EXPECT_NE(log.find("device auto: no usable CUDA GPU (" + why + "), training on the CPU"), std::string::npos) << log;
  EXPECT_NE(log.find("device CPU"), std::string::npos) << log;
  const CliResult cpu = run_bitblock("train --config cfg.yaml --data-dir data --out run_cpu --device cpu "
                                     "--set train.epochs=1 --quiet", dir_->path);
  ASSERT_EQ(cpu.code, 0) << cpu.err;
  EXPECT_EQ(read_file(path("run_cpu/log")).find("device auto"), std::string::npos);
  const CliResult ev = run_bitblock("eval --checkpoint run/checkpoint.bbc --data-dir data --device auto", dir_->path);
  EXPECT_EQ(ev.code, 0) << ev.err;
  EXPECT_NE(ev.err.find("no usable CUDA GPU"), std::string::npos) << ev.err;
}

TEST_F(CliTrain, SummaryPrintsTheMemoryTable) {
  CliResult r = run_bitblock("summary --config cfg.yaml", dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("tiny (mnist, input [1x28x28])"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("value bits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("32x784"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("block 8x8 1/2 random"), std::string::npos) << r.out;
  // 4 block-rows x round(98/2) = 49 kept 8x8 blocks: 12544 values x 4 bits, 196 x clog2(98) = 1372
  // index bits, 32 row scales x 32 bits.
  EXPECT_NE(r.out.find(" 50176 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 1372 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 1024 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10x32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total:"), std::string::npos) << r.out;

  // A flow-list override through --set (cxxopts splits at the comma; the CLI glues it back).
  CliResult flow = run_bitblock("summary --config cfg.yaml --set constraints.default.block=[16,16] --json", dir_->path);
  ASSERT_EQ(flow.code, 0) << flow.err;
  nlohmann::json j = nlohmann::json::parse(flow.out);
  EXPECT_EQ(j["layers"][0]["block"], nlohmann::json({16, 16}));
  // 2 block-rows x 49 block-columns, round(49/2) = 25 kept per block-row, 16x16 each.
  EXPECT_EQ(j["layers"][0]["kept_values"].get<int64_t>(), 2 * 25 * 256);
  // 50 kept blocks x clog2(49) = 6 index bits.
  EXPECT_EQ(j["layers"][0]["index_bits"].get<int64_t>(), 50 * 6);
}

}  // namespace
}  // namespace bitblock
