// The training loop on a tiny synthetic MNIST: it learns, a seed gives bit-identical runs, an
// interrupted run resumed from its checkpoint ends exactly where the uninterrupted run ends (mid
// epoch, at an epoch boundary, twice in a row, with magnitude pruning changing the mask), and the
// NaN guard stops a diverging run without touching the last good checkpoint.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/trainer.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

using testing_support::expect_input_error;
using testing_support::TempDir;
using testing_support::tiny_mlp_yaml;

class Trainer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_unique<TempDir>("trainer_data");
    testing_support::write_tiny_mnist(data_->path);
  }
  static void TearDownTestSuite() { data_.reset(); }

  static ExperimentConfig config(const std::vector<std::string>& overrides = {}) {
    return parse_config(tiny_mlp_yaml(), "tiny.yaml", overrides);
  }

  static TrainOutcome run(const ExperimentConfig& c, const std::string& out, int64_t stop_after = -1,
                          bool resume = false) {
    TrainOptions o;
    o.data_dir = data_->path;
    o.out_dir = out;
    o.quiet = true;
    // One thread: this process does not get the CLI's passive OpenMP wait policy, and spinning
    // OpenMP workers next to OpenBLAS threads slow small runs down many times over.
    o.threads = 1;
    o.start = resume ? RunStart::Resume : RunStart::New;
    o.stop_after_batches = stop_after;
    return train(c, o);
  }

  static std::unique_ptr<TempDir> data_;
};
std::unique_ptr<TempDir> Trainer::data_;

// Metrics that must repeat exactly (timings excluded).
void expect_same_history(const std::vector<EpochMetrics>& a, const std::vector<EpochMetrics>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("epoch " + std::to_string(i + 1));
    EXPECT_EQ(a[i].epoch, b[i].epoch);
    EXPECT_EQ(a[i].lr, b[i].lr);
    EXPECT_EQ(a[i].train_loss, b[i].train_loss);
    EXPECT_EQ(a[i].train_acc, b[i].train_acc);
    EXPECT_EQ(a[i].test_loss, b[i].test_loss);
    EXPECT_EQ(a[i].test_acc, b[i].test_acc);
  }
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

// Parameters, buffers, optimizer state and masks of two checkpoints, bit for bit.
void expect_same_state(const std::string& path_a, const std::string& path_b) {
  Checkpoint a = load_checkpoint(path_a);
  Checkpoint b = load_checkpoint(path_b);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
    EXPECT_TRUE(same_bits(a.tensors[i].second, b.tensors[i].second)) << a.tensors[i].first;
  }
  ASSERT_EQ(a.masks.size(), b.masks.size());
  for (size_t i = 0; i < a.masks.size(); ++i) EXPECT_EQ(a.masks[i].second, b.masks[i].second) << a.masks[i].first;
  EXPECT_EQ(a.position.epoch, b.position.epoch);
  EXPECT_EQ(a.position.optimizer_step, b.position.optimizer_step);
  expect_same_history(a.history, b.history);
}

TEST_F(Trainer, LearnsTheTinyDataSet) {
  TempDir out("train");
  TrainOutcome r = run(config(), out.path);
  ASSERT_EQ(r.status, TrainStatus::Finished);
  ASSERT_EQ(r.history.size(), 2u);
  EXPECT_EQ(r.history[0].epoch, 1);
  EXPECT_EQ(r.history[1].epoch, 2);
  EXPECT_DOUBLE_EQ(r.history[0].lr, 0.01);
  // Chance is 10% and a loss of ln 10 = 2.303; the squares are easy to tell apart.
  EXPECT_LT(r.history[1].train_loss, r.history[0].train_loss);
  EXPECT_LT(r.history[1].test_loss, 1.0);
  EXPECT_GT(r.history[1].test_acc, 0.8);
  for (const char* f : {"config.yaml", "metrics.csv", "log", "checkpoint.bbc", "summary.json", "model.bbm"})
    EXPECT_TRUE(file_exists(out / f)) << f;
  Checkpoint c = load_checkpoint(out / "checkpoint.bbc");
  EXPECT_EQ(c.position.epoch, 2);
  EXPECT_EQ(c.position.next_batch, 0);
  EXPECT_EQ(c.position.optimizer_step, 12);   // 2 epochs x 300 / 50 batches
  // Weight memory of the trained net: 32x784 at 4 bits, 8x8 blocks, each of the 4 block-rows
  // keeps round(98/2) = 49 blocks -> 196*64 values; 10x32 dense at 4 bits.
  EXPECT_EQ(r.memory.value_bits, (196 * 64 + 320) * 4);
  EXPECT_TRUE(r.exported.written) << r.exported.reason;
  EXPECT_NEAR(r.exported.integer_accuracy, r.history[1].test_acc, 0.0101);
}

TEST_F(Trainer, SameSeedIsBitIdenticalOtherSeedIsNot) {
  TempDir a("seed_a"), b("seed_b"), c("seed_c");
  TrainOutcome ra = run(config(), a.path);
  TrainOutcome rb = run(config(), b.path);
  TrainOutcome rc = run(config({"seed=4"}), c.path);
  ASSERT_EQ(ra.status, TrainStatus::Finished);
  ASSERT_EQ(rb.status, TrainStatus::Finished);
  ASSERT_EQ(rc.status, TrainStatus::Finished);
  expect_same_history(ra.history, rb.history);
  expect_same_state(a / "checkpoint.bbc", b / "checkpoint.bbc");
  EXPECT_TRUE(read_file(a / "model.bbm") == read_file(b / "model.bbm")) << "model files differ";

  ASSERT_EQ(rc.history.size(), 2u);
  EXPECT_NE(rc.history[0].train_loss, ra.history[0].train_loss);
  EXPECT_NE(rc.history[1].test_loss, ra.history[1].test_loss);
  Checkpoint ka = load_checkpoint(a / "checkpoint.bbc");
  Checkpoint kc = load_checkpoint(c / "checkpoint.bbc");
  ASSERT_EQ(ka.tensors.size(), kc.tensors.size());
  EXPECT_FALSE(same_bits(ka.tensors[0].second, kc.tensors[0].second)) << ka.tensors[0].first;
  EXPECT_NE(ka.masks[0].second, kc.masks[0].second) << "random block masks come from the seed";
}

// Runs the uninterrupted reference and an interrupted chain (each stop is a fresh call that
// resumes), then compares results.
void check_resume_equivalence(const ExperimentConfig& cfg, const std::vector<int64_t>& stops,
                              TrainOutcome (*run)(const ExperimentConfig&, const std::string&, int64_t, bool)) {
  TempDir ref("ref"), chain("chain");
  TrainOutcome full = run(cfg, ref.path, -1, false);
  ASSERT_EQ(full.status, TrainStatus::Finished);
  bool resume = false;
  int64_t batches_done = 0;
  for (int64_t stop : stops) {
    TrainOutcome part = run(cfg, chain.path, stop, resume);
    ASSERT_EQ(part.status, TrainStatus::Interrupted);
    batches_done += stop;
    Checkpoint c = load_checkpoint(chain / "checkpoint.bbc");
    // 6 batches per epoch: the checkpoint points just after the last batch trained.
    EXPECT_EQ(c.position.optimizer_step, batches_done);
    EXPECT_EQ(c.position.epoch, static_cast<int>((batches_done - 1) / 6));
    EXPECT_EQ(c.position.next_batch, (batches_done - 1) % 6 + 1);
    EXPECT_EQ(c.history.size(), static_cast<size_t>((batches_done - 1) / 6));
    EXPECT_FALSE(file_exists(chain / "model.bbm"));
    resume = true;
  }
  TrainOutcome rest = run(cfg, chain.path, -1, true);
  ASSERT_EQ(rest.status, TrainStatus::Finished);
  expect_same_history(full.history, rest.history);
  expect_same_state(ref / "checkpoint.bbc", chain / "checkpoint.bbc");
  EXPECT_TRUE(read_file(ref / "model.bbm") == read_file(chain / "model.bbm")) << "model files differ";
  EXPECT_EQ(rest.exported.integer_accuracy, full.exported.integer_accuracy);
}

TEST_F(Trainer, ResumeMidEpochMatchesUninterruptedRun) {
  check_resume_equivalence(config(), {8}, &Trainer::run);   // epoch 2, after its 2nd batch
}

TEST_F(Trainer, ResumeAtEpochBoundaryMatchesUninterruptedRun) {
  check_resume_equivalence(config(), {6}, &Trainer::run);   // last batch of epoch 1, before its evaluation
}

TEST_F(Trainer, ResumeAfterTheLastBatchMatchesUninterruptedRun) {
  check_resume_equivalence(config(), {12}, &Trainer::run);
}

TEST_F(Trainer, TwoInterruptionsInARowMatchUninterruptedRun) {
  check_resume_equivalence(config(), {4, 5}, &Trainer::run);
}

// Kept rows, columns and elements train compactly (train.kernels auto): the checkpoint holds the
// compact tensor and its Adam moments, and a resumed run continues exactly.
TEST_F(Trainer, ResumeOnKeptRowsColumnsAndElementsMatchesUninterruptedRun) {
  struct Case { const char* structure; Shape compact; };
  // Layer 1 is 32 x 784: ratio 4 keeps 8 rows (1 x 784 each), 196 columns (32 x 1 each) or 196
  // weights in every row (1 x 1 each).
  for (const Case& c : {Case{"row", {8, 1, 784}}, Case{"column", {196, 32, 1}}, Case{"element", {32 * 196, 1, 1}}}) {
    SCOPED_TRACE(c.structure);
    ExperimentConfig cfg = config({std::string("constraints.default={weight_bits: 3, structure: ") + c.structure +
                                   ", ratio: 4}"});
    check_resume_equivalence(cfg, {8}, &Trainer::run);
    TempDir out("units");
    ASSERT_EQ(run(cfg, out.path, 2).status, TrainStatus::Interrupted);
    const Checkpoint k = load_checkpoint(out / "checkpoint.bbc");
    int compact = 0;
    for (const auto& [name, t] : k.tensors)
      if (name.find("1.weight") != std::string::npos) {
        EXPECT_EQ(t.shape(), c.compact) << name;
        ++compact;
      }
    EXPECT_EQ(compact, 3) << "the weight and its two Adam moments";
  }
}

// A conv layer on its kept blocks (patch rows through the block-sparse kernels) resumes exactly
// too; its checkpoint holds the compact tensor.
TEST_F(Trainer, ResumeOnAConvWithKeptBlocksMatchesUninterruptedRun) {
  // Conv 16 x 9 (8x8 blocks: 2 x 2, the last block-column 1 wide), ratio 2 keeps 1 per block-row.
  ExperimentConfig cfg = config({"model.layers=[{type: conv, out: 16, kernel: 3, stride: 2}, {type: batchnorm}, "
                                 "{type: act, fn: relu, bits: 8, max: 4.0}, {type: flatten}, {type: linear, out: 10}, "
                                 "{type: batchnorm}]"});
  check_resume_equivalence(cfg, {8}, &Trainer::run);
  TempDir out("conv");
  TrainOutcome r = run(cfg, out.path, 2);
  ASSERT_EQ(r.status, TrainStatus::Interrupted);
  const Checkpoint k = load_checkpoint(out / "checkpoint.bbc");
  bool found = false;
  for (const auto& [name, t] : k.tensors)
    if (name == "param.0.weight") {
      EXPECT_EQ(t.shape(), (Shape{2, 8, 8}));
      found = true;
    }
  EXPECT_TRUE(found);
  EXPECT_NE(read_file(out / "log").find("kept blocks for layers 0"), std::string::npos);
}

TEST_F(Trainer, ResumeKeepsMagnitudePrunedMasksAndSgdMomentum) {
  // Pruning starts at epoch 0 and reaches 1/4 at epoch 2, the last of 3 (a window ending past the
  // epochs is a config error): the mask shrinks at the start of epochs 1 and 2, so a run resumed
  // inside epoch 1 needs the checkpoint's mask.
  ExperimentConfig cfg = config({"train.epochs=3",
                                 "constraints.default={weight_bits: 2, structure: block, block: [8, 8], ratio: 4, "
                                 "selection: magnitude, prune: [0, 2]}",
                                 "train.optimizer={type: sgd, lr: 0.05, momentum: 0.9, nesterov: true}",
                                 "train.schedule={type: step, step_size: 1, gamma: 0.5}"});
  check_resume_equivalence(cfg, {9}, &Trainer::run);
  TempDir out("prune");
  TrainOutcome r = run(cfg, out.path);
  ASSERT_EQ(r.status, TrainStatus::Finished);
  EXPECT_DOUBLE_EQ(r.history[1].lr, 0.025);
  // From epoch 2 on exactly 1/4 of the 4 x 98 blocks of layer 1 (f(1) was 0.34375: 135 blocks).
  ASSERT_FALSE(r.memory.layers.empty());
  EXPECT_EQ(r.memory.layers[0].cost.kept_values, 98 * 64);
}

TEST_F(Trainer, NanGuardStopsAndKeepsTheLastGoodCheckpoint) {
  // Float weights and activations without batch-norm: each step multiplies the logits' scale by
  // ~1e30 until they overflow (with batch-norm the loss stays finite at this lr). The first
  // batch's loss, from the initial weights, is finite: stop there with a checkpoint, then resume.
  ExperimentConfig wild = config({"train.optimizer={type: sgd, lr: 1e30, momentum: 0.9}", "constraints.default.weight_bits=32",
                                  "model.layers[2]={type: dropout, p: 0}", "model.layers[3]={type: act, fn: relu}",
                                  "model.layers[6]={type: dropout, p: 0}"});
  TempDir out("nan");
  ASSERT_EQ(run(wild, out.path, 1).status, TrainStatus::Interrupted);
  const std::string before = read_file(out / "checkpoint.bbc");
  TrainOutcome r = run(wild, out.path, -1, true);
  EXPECT_EQ(r.status, TrainStatus::Diverged);
  EXPECT_TRUE(r.history.empty());
  EXPECT_TRUE(read_file(out / "checkpoint.bbc") == before) << "the failed run must not touch the checkpoint";
  EXPECT_FALSE(file_exists(out / "model.bbm"));
  const std::string log = read_file(out / "log");
  EXPECT_NE(log.find("diverged"), std::string::npos) << log;
  EXPECT_NE(log.find("lr"), std::string::npos) << log;
  // The kept checkpoint is still a valid one: it holds the one good batch.
  EXPECT_EQ(load_checkpoint(out / "checkpoint.bbc").position.optimizer_step, 1);

  TempDir fresh("nan_fresh");
  EXPECT_EQ(run(wild, fresh.path).status, TrainStatus::Diverged);
  EXPECT_FALSE(file_exists(fresh / "checkpoint.bbc"));
  EXPECT_NE(read_file(fresh / "log").find("none written yet"), std::string::npos);
}

TEST_F(Trainer, ResumeWithoutCheckpointStartsFresh) {
  TempDir a("fresh_a"), b("fresh_b");
  TrainOutcome ra = run(config(), a.path);
  TrainOutcome rb = run(config(), b.path, -1, true);
  ASSERT_EQ(rb.status, TrainStatus::Finished);
  expect_same_history(ra.history, rb.history);
}

TEST_F(Trainer, DamagedCheckpointOnResumeIsAnInputError) {
  TempDir out("damaged");
  ASSERT_EQ(run(config(), out.path, 2).status, TrainStatus::Interrupted);
  std::string bytes = read_file(out / "checkpoint.bbc");
  bytes.resize(bytes.size() - 10);
  testing_support::tiny_write(out / "checkpoint.bbc", bytes);
  testing_support::expect_input_error([&] { run(config(), out.path, -1, true); }, {out / "checkpoint.bbc"});
}

TEST_F(Trainer, MissingDataIsAnInputErrorSayingHowToGetIt) {
  TempDir empty("nodata"), out("nodata_out");
  TrainOptions o;
  o.data_dir = empty.path;
  o.out_dir = out.path;
  o.quiet = true;
  testing_support::expect_input_error([&] { train(config(), o); }, {empty.path, "fetch-data.sh"});
}

// --- Run folders are never overwritten by accident (issue 14) ---

TEST_F(Trainer, AFolderThatHoldsARunNeedsResumeOrRestart) {
  TempDir out("hold");
  ASSERT_EQ(run(config(), out.path).status, TrainStatus::Finished);
  const std::string metrics = read_file(out / "metrics.csv"), model = read_file(out / "model.bbm");
  // Before: a second run silently replaced checkpoint, metrics and model.
  expect_input_error([&] { run(config({"seed=4"}), out.path); },
                     {out.path, "holds a run (checkpoint.bbc, metrics.csv, summary.json, model.bbm", "--resume",
                      "--restart"});
  EXPECT_EQ(read_file(out / "metrics.csv"), metrics);
  EXPECT_TRUE(read_file(out / "model.bbm") == model);

  TrainOptions o;
  o.data_dir = data_->path;
  o.out_dir = out.path;
  o.quiet = true;
  o.threads = 1;
  o.start = RunStart::Restart;
  TrainOutcome again = train(config({"seed=4"}), o);
  ASSERT_EQ(again.status, TrainStatus::Finished);
  EXPECT_EQ(load_checkpoint(out / "checkpoint.bbc").config_yaml, to_yaml(config({"seed=4"})));
  EXPECT_NE(read_file(out / "log").find("restart: removed the previous run's checkpoint.bbc, metrics.csv"),
            std::string::npos);
}

TEST_F(Trainer, ResumeWithOtherSettingsNamesTheDifference) {
  TempDir out("differ");
  ASSERT_EQ(run(config(), out.path, 3).status, TrainStatus::Interrupted);
  const std::string before = read_file(out / "checkpoint.bbc");
  // Before: the changed settings were silently ignored in favour of the checkpoint's.
  expect_input_error([&] { run(config({"train.optimizer.lr=0.02"}), out.path, -1, true); },
                     {out.path, "--resume with other settings", "train.optimizer.lr: 0.01 vs 0.02", "--restart"});
  expect_input_error([&] { run(config({"seed=4"}), out.path, -1, true); }, {"seed: 3 vs 4"});
  expect_input_error([&] { run(config({"model.layers[1].out=16"}), out.path, -1, true); },
                     {"model.layers[1].out: 32 vs 16"});
  EXPECT_TRUE(read_file(out / "checkpoint.bbc") == before);
  EXPECT_EQ(run(config(), out.path, -1, true).status, TrainStatus::Finished);
}

TEST_F(Trainer, ResumeNeedsACheckpointWhenTheFolderHoldsResults) {
  TempDir out("nockpt");
  ASSERT_EQ(run(config(), out.path).status, TrainStatus::Finished);
  std::remove((out / "checkpoint.bbc").c_str());
  expect_input_error([&] { run(config(), out.path, -1, true); }, {out.path, "no checkpoint.bbc to resume from"});
}

TEST_F(Trainer, TemporaryFilesOfKilledRunsAreRemoved) {
  TempDir out("stale");
  // A process killed between writing and renaming leaves "<file>.tmp.<pid>"; pid 2^22 + 1 is
  // beyond Linux's pid_max, so no live process owns it.
  write_file_atomic(out / "checkpoint.bbc.tmp.4194305", "torn");
  ASSERT_EQ(run(config(), out.path).status, TrainStatus::Finished);
  EXPECT_FALSE(file_exists(out / "checkpoint.bbc.tmp.4194305"));
  EXPECT_NE(read_file(out / "log").find("removed temporary files of killed processes: checkpoint.bbc.tmp.4194305"),
            std::string::npos);
}

TEST_F(Trainer, AFullDiskIsReportedInTheRunLog) {
  if (!file_exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  TempDir out("full");
  // The checkpoint's temporary file is /dev/full: every write to it fails with ENOSPC.
  const std::string tmp = out / ("checkpoint.bbc.tmp." + std::to_string(getpid()));
  ASSERT_EQ(symlink("/dev/full", tmp.c_str()), 0);
  expect_input_error([&] { run(config(), out.path); }, {out / "checkpoint.bbc", "No space left on device"});
  const std::string log = read_file(out / "log");
  EXPECT_NE(log.find("error: " + out / "checkpoint.bbc" + ": write failed: No space left on device"), std::string::npos)
      << log;
}

}  // namespace
}  // namespace bitblock
