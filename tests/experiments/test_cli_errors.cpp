// Bad input through the real binary: each case exits with code 2 and prints exactly one stderr
// line, "bitblock <command>: error: ...", naming the file or key at fault.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/device.hpp"
#include "experiments/cli_suite.hpp"
#include "experiments/test_cli_run.hpp"

namespace bitblock {
namespace {

using testing_support::CliResult;
using testing_support::run_bitblock;
using testing_support::tiny_write;

class CliErrors : public testing_support::CliSuite<CliErrors> {
 public:
  static constexpr const char* kFolder = "cli_errors";
  static constexpr bool kFinishedRun = false;
};

TEST_F(CliErrors, MissingConfigFile) {
  expect_bad_input("train --config nowhere.yaml --data-dir data --out r1", "train", {"nowhere.yaml"});
  expect_bad_input("summary --config nowhere.yaml", "summary", {"nowhere.yaml"});
  expect_bad_input("train --data-dir data --out r1", "train", {"--config", "missing"});
}

TEST_F(CliErrors, UnknownConfigKey) {
  tiny_write(path("unknown.yaml"), std::string(testing_support::tiny_mlp_yaml()) + "  warmup_epochs: 2\n");
  expect_bad_input("train --config unknown.yaml --data-dir data --out r2", "train",
                   {"unknown.yaml", "train.warmup_epochs", "unknown key"});
  expect_bad_input("train --config cfg.yaml --set train.optimizer.betaa=0.5 --data-dir data --out r2", "train",
                   {"cfg.yaml", "train.optimizer.betaa", "unknown key"});
}

// --device cuda (or train.device: cuda) on a machine without a usable GPU: exit 2, one line
// naming the option and why, and no run folder. A bad value names the option too.
TEST_F(CliErrors, CudaWithoutAGpu) {
  expect_bad_input("train --config cfg.yaml --data-dir data --out r9 --device gpu", "train", {"--device", "'gpu'"});
  expect_bad_input("train --config cfg.yaml --data-dir data --out r9 --set train.device=tpu", "train",
                   {"cfg.yaml", "train.device", "tpu"});
  std::string why;
  if (cuda_usable(&why)) GTEST_SKIP() << "this machine has a usable GPU";
  expect_bad_input("train --config cfg.yaml --data-dir data --out r9 --device cuda", "train",
                   {"--device", "no usable CUDA GPU", why});
  expect_bad_input("train --config cfg.yaml --data-dir data --out r9 --set train.device=cuda", "train",
                   {"cfg.yaml", "train.device", "no usable CUDA GPU"});
  EXPECT_FALSE(file_exists(path("r9"))) << "nothing written before the device is known";
}

TEST_F(CliErrors, WeightBitsNine) {
  expect_bad_input("train --config cfg.yaml --set constraints.default.weight_bits=9 --data-dir data --out r3", "train",
                   {"cfg.yaml", "weight_bits", "9"});
  // The config is checked before the data is looked for.
  expect_bad_input("train --config cfg.yaml --set constraints.default.weight_bits=9 --data-dir no_such_dir --out r3",
                   "train", {"cfg.yaml", "weight_bits", "9"});
  expect_bad_input("summary --config cfg.yaml --set constraints.default.weight_bits=9", "summary",
                   {"cfg.yaml", "weight_bits", "9"});
  expect_bad_input("summary --config cfg.yaml --set model.layers[3].bits=9", "summary",
                   {"cfg.yaml", "model.layers[3].bits"});
}

TEST_F(CliErrors, CorruptedMnistFile) {
  testing_support::copy_tree(path("data"), path("bad_data"));
  const std::string images = path("bad_data/mnist/train-images-idx3-ubyte");
  std::string bytes = read_file(images);
  tiny_write(images, bytes.substr(0, bytes.size() - 1000));   // images end early
  expect_bad_input("train --config cfg.yaml --data-dir bad_data --out r4", "train", {"train-images-idx3-ubyte"});

  const std::string labels = path("bad_data/mnist/t10k-labels-idx1-ubyte");
  tiny_write(images, bytes);
  std::string lb = read_file(labels);
  lb[0] = 0x7f;   // bad magic
  tiny_write(labels, lb);
  expect_bad_input("train --config cfg.yaml --data-dir bad_data --out r4", "train", {"t10k-labels-idx1-ubyte"});
}

TEST_F(CliErrors, MissingDataDirSaysHowToGetTheData) {
  expect_bad_input("train --config cfg.yaml --data-dir no_such_dir --out r5", "train",
                   {"no_such_dir/mnist/train-images-idx3-ubyte", "missing", "fetch-data.sh mnist"});
}

TEST_F(CliErrors, TruncatedCheckpointForEval) {
  CliResult train = run_bitblock("train --config cfg.yaml --set train.epochs=1 --data-dir data --out r6 --quiet", dir_->path);
  ASSERT_EQ(train.code, 0) << train.err;
  std::string bytes = read_file(path("r6/checkpoint.bbc"));
  tiny_write(path("r6/cut.bbc"), bytes.substr(0, bytes.size() / 2));
  expect_bad_input("eval --checkpoint r6/cut.bbc --data-dir data", "eval", {"r6/cut.bbc", "truncated"});
  expect_bad_input("eval --checkpoint r6/none.bbc --data-dir data", "eval", {"r6/none.bbc"});
  bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 0x40);
  tiny_write(path("r6/flipped.bbc"), bytes);
  expect_bad_input("eval --checkpoint r6/flipped.bbc --data-dir data", "eval", {"r6/flipped.bbc", "CRC"});
  expect_bad_input("export --checkpoint r6/cut.bbc --out m.bbm --data-dir data", "export", {"r6/cut.bbc"});
  // The run can also not resume from it.
  tiny_write(path("r6/checkpoint.bbc"), bytes.substr(0, 20));
  expect_bad_input("train --config cfg.yaml --data-dir data --out r6 --resume", "train", {"r6/checkpoint.bbc"});
}

TEST_F(CliErrors, FloatModelCannotBeExported) {
  CliResult train = run_bitblock(
      "train --config cfg.yaml --set 'constraints.default={weight_bits: 32}' --set train.epochs=1 --data-dir data "
      "--out r7 --quiet",
      dir_->path);
  ASSERT_EQ(train.code, 0) << train.err;
  EXPECT_FALSE(file_exists(path("r7/model.bbm")));
  EXPECT_NE(read_file(path("r7/log")).find("no model file"), std::string::npos);
  expect_bad_input("export --checkpoint r7/checkpoint.bbc --out m.bbm --data-dir data", "export",
                   {"r7/checkpoint.bbc", "float (32-bit) weights"});
}

TEST_F(CliErrors, BadCommandLine) {
  CliResult unknown = run_bitblock("frobnicate", dir_->path);
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos) << unknown.err;
  expect_bad_input("train --config cfg.yaml --epochs 3", "train", {"epochs"});
  expect_bad_input("train --config cfg.yaml --set train.epochs", "train", {"train.epochs", "key=value"});
  expect_bad_input("eval --data-dir data", "eval", {"--checkpoint"});
}

TEST_F(CliErrors, DivergedTrainingExitsWithThree) {
  CliResult r = run_bitblock(
      "train --config cfg.yaml --set 'train.optimizer={type: sgd, lr: 1e38, momentum: 0.9}' --data-dir data --out r8",
      dir_->path);
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("diverged"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(path("r8/checkpoint.bbc")));
}

}  // namespace
}  // namespace bitblock
