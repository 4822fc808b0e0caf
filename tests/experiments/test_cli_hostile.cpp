// Hostile but fair input through the real binary (issue 14): every case here crashed, computed
// silently wrong results, lost a finished run or exited 1 before; now each exits 2 with one
// stderr line naming the file or key, leaves what was written intact, or (5-7-bit weights) works.
#include <gtest/gtest.h>

#include <zlib.h>

#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/checkpoint.hpp"
#include "experiments/cli_suite.hpp"
#include "experiments/test_cli_run.hpp"
#include "framework/checkpoint_bytes.hpp"
#include "model/model_bytes.hpp"

namespace bitblock {
namespace {

using testing_support::CliResult;
using testing_support::copy_tree;
using testing_support::run_bitblock;
using testing_support::tiny_write;

class CliHostile : public testing_support::CliSuite<CliHostile> {
 public:
  static constexpr const char* kFolder = "cli_hostile";
  static constexpr bool kFinishedRun = true;

 protected:
  static std::string arch_for_8_bits() {
    std::string arch = read_file(std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/arch/small.yaml");
    arch.replace(arch.find("max_weight_bits: 4"), 18, "max_weight_bits: 8");
    tiny_write(path("arch8.yaml"), arch);
    return "arch8.yaml";
  }
};

// 1. Crashes (SIGSEGV) on a model file.
TEST_F(CliHostile, ModelFileWithAHugeBlobOffsetOrDeepNesting) {
  copy_run("m1");
  using namespace testing::model_bytes;
  Split s = split(read_file(path("m1/model.bbm")));
  blob_entry(s.header, "stage0.codes")["offset"] = int64_t{1} << 62;
  blob_entry(s.header, "stage0.codes")["size"] = int64_t{1} << 62;
  tiny_write(path("m1/huge.bbm"), join(s));
  expect_bad_input("eval --model m1/huge.bbm --data-dir data", "eval", {"m1/huge.bbm", "truncated: blob 'stage0.codes'"});
  s = split(read_file(path("m1/model.bbm")));
  std::string text = s.header.dump();
  text.insert(text.find("\"training\":") + 11, std::string(300000, '[') + std::string(300000, ']') + ",\"x\":");
  tiny_write(path("m1/deep.bbm"), join_text(text, s.data));
  expect_bad_input("summary --model m1/deep.bbm", "summary", {"m1/deep.bbm", "nested deeper than 64"});
}

// 2. Silent wrong results from one flipped bit (model header, checkpoint config).
TEST_F(CliHostile, OneFlippedBitInAModelHeaderOrACheckpointConfig) {
  copy_run("m2");
  std::string model = read_file(path("m2/model.bbm"));
  const size_t shift = model.find("\"shift\":") + 8;
  model[shift] = static_cast<char>(model[shift] ^ 0x01);
  tiny_write(path("m2/flip.bbm"), model);
  for (const std::string& cmd : {std::string("eval --model m2/flip.bbm --data-dir data"),
                                 "hwsim --model m2/flip.bbm --data-dir data --arch " + arch_for_8_bits() + " --out m2/hw",
                                 std::string("summary --model m2/flip.bbm")})
    expect_bad_input(cmd, cmd.substr(0, cmd.find(' ')), {"m2/flip.bbm", "CRC mismatch in the JSON header"});
  std::string ckpt = read_file(path("m2/checkpoint.bbc"));
  const size_t lr = ckpt.find("lr: 0.01") + 7;
  ckpt[lr] = static_cast<char>(ckpt[lr] ^ 0x02);  // 0.01 -> 0.03
  tiny_write(path("m2/checkpoint.bbc"), ckpt);
  expect_bad_input("train --config cfg.yaml --data-dir data --out m2 --resume", "train",
                   {"m2/checkpoint.bbc", "CRC mismatch in the header"});
}

// 3. Unchecked resume position: reads past the epoch's sample order, or NaN metrics rows.
TEST_F(CliHostile, ResumePositionOutOfRange) {
  copy_run("m3");
  ASSERT_EQ(run_bitblock("train --config cfg.yaml --set train.epochs=3 --data-dir data --out p --quiet --threads 1",
                         dir_->path)
                .code,
            0);
  const std::string metrics = read_file(path("p/metrics.csv"));
  using testing_support::Parts;
  Parts parts = testing_support::split(read_file(path("p/checkpoint.bbc")));
  parts.header["history"] = nlohmann::json::array({parts.header["history"][0]});
  parts.header["position"] = {{"epoch", 1}, {"next_batch", 6}, {"loss_sum", 0.0}, {"correct", 0},
                              {"seen", 0},  {"seconds", 0.0},  {"optimizer_step", 12}};
  tiny_write(path("p/checkpoint.bbc"), testing_support::join(parts));
  expect_bad_input("train --config cfg.yaml --set train.epochs=3 --data-dir data --out p --resume", "train",
                   {"p/checkpoint.bbc: position", "0 samples seen, batch 6 means 300"});
  parts.header["position"]["next_batch"] = 1000000;
  tiny_write(path("p/checkpoint.bbc"), testing_support::join(parts));
  expect_bad_input("train --config cfg.yaml --set train.epochs=3 --data-dir data --out p --resume", "train",
                   {"p/checkpoint.bbc: position", "batch 1000000 is outside the epoch's 6 batches"});
  EXPECT_EQ(read_file(path("p/metrics.csv")), metrics);
}

// 4. A finished run is easy to lose.
TEST_F(CliHostile, FinishedRunsAreNotOverwrittenAndResumeKeepsItsSettings) {
  copy_run("m4");
  const std::string metrics = read_file(path("m4/metrics.csv"));
  expect_bad_input("train --config cfg.yaml --data-dir data --out m4", "train",
                   {"m4: holds a run", "--resume", "--restart"});
  expect_bad_input("train --config cfg.yaml --data-dir data --out m4 --resume --set train.epochs=5", "train",
                   {"m4: --resume with other settings", "train.epochs: 2 vs 5"});
  expect_bad_input("train --config cfg.yaml --data-dir data --out m4 --resume --seed 9", "train", {"seed: 3 vs 9"});
  expect_bad_input("train --config cfg.yaml --data-dir data --out m4 --resume --restart", "train",
                   {"--resume", "--restart"});
  EXPECT_EQ(read_file(path("m4/metrics.csv")), metrics);
  const CliResult again = run_bitblock("train --config cfg.yaml --data-dir data --out m4 --restart --seed 9 --quiet", dir_->path);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(read_file(path("m4/config.yaml")).find("seed: 9"), std::string::npos);
}

// 5. weight_bits 5, 6 and 7 trained to the end but wrote no model file.
TEST_F(CliHostile, SixBitWeightsEndToEnd) {
  const CliResult r = run_bitblock(
      "train --config cfg.yaml --set constraints.default.weight_bits=6 --data-dir data --out six --quiet --threads 1",
      dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(file_exists(path("six/model.bbm"))) << read_file(path("six/log"));
  const CliResult ev = run_bitblock("eval --model six/model.bbm --data-dir data", dir_->path);
  EXPECT_EQ(ev.code, 0) << ev.err;
  const CliResult hw =
      run_bitblock("hwsim --model six/model.bbm --arch " + arch_for_8_bits() + " --data-dir data --out six/hw", dir_->path);
  EXPECT_EQ(hw.code, 0) << hw.err;
  EXPECT_TRUE(file_exists(path("six/hw/report.json")));
  expect_bad_input("hwsim --model six/model.bbm --arch " + std::string(BITBLOCK_SOURCE_DIR) +
                       "/hwsim/arch/small.yaml --data-dir data --out six/hw4",
                   "hwsim", {"max_weight_bits: 4 < the model's 6-bit weights"});
  // --emit-rtl: the RTL hand-off files for the images asked for; a bad image count is an input error.
  const CliResult rtl = run_bitblock("hwsim --model six/model.bbm --arch " + arch_for_8_bits() +
                                         " --data-dir data --out six/hw5 --limit 3 --emit-rtl six/rtl --rtl-images 2",
                                     dir_->path);
  EXPECT_EQ(rtl.code, 0) << rtl.err;
  EXPECT_NE(read_file(path("six/rtl/manifest.json")).find("\"images\": 2,"), std::string::npos);
  EXPECT_TRUE(file_exists(path("six/rtl/weight_b0.hex")));
  expect_bad_input("hwsim --model six/model.bbm --arch " + arch_for_8_bits() +
                       " --data-dir data --out six/hw6 --emit-rtl six/rtl2 --rtl-images 0",
                   "hwsim", {"--rtl-images", "must be >= 1"});
}

// 6. Bad input reported as an internal error (exit 1).
TEST_F(CliHostile, BadInputIsExitTwoNotAnInternalError) {
  expect_bad_input("train --config cfg.yaml --set constraints.default.scale=[per_row] --data-dir data --out e1", "train",
                   {"cfg.yaml", "constraints.default.scale", "cannot read"});
  expect_bad_input("summary --config cfg.yaml --set model.layers[1].out=3000000000", "summary",
                   {"cfg.yaml", "model.layers[1]", "memory"});
  copy_run("m6");
  using testing_support::Parts;
  const Parts good = testing_support::split(read_file(path("m6/checkpoint.bbc")));
  Parts parts = good;
  for (auto& b : parts.header["blobs"])
    if (b["name"] == "param.1.weight") b["shape"] = {int64_t{1} << 40, int64_t{1} << 40};
  tiny_write(path("m6/shape.bbc"), testing_support::join(parts));
  expect_bad_input("eval --checkpoint m6/shape.bbc --data-dir data", "eval", {"m6/shape.bbc", "param.1.weight", "too large"});
  // A CRC-valid mask of layer 1 (32 x 784 in 8x8 blocks) that keeps half of a block.
  parts = good;
  const auto [offset, bytes] = testing_support::blob_range(parts, "mask", "1");
  std::string mask = parts.blobs.substr(offset, bytes);
  size_t kept = mask.find('\x01');
  ASSERT_NE(kept, std::string::npos);
  mask[kept] = '\0';
  testing_support::patch_blob(parts, "mask", "1", mask);
  tiny_write(path("m6/checkpoint.bbc"), testing_support::join(parts));
  for (const std::string& cmd : {std::string("eval --checkpoint m6/checkpoint.bbc --data-dir data"),
                                 std::string("export --checkpoint m6/checkpoint.bbc --out m6/x.bbm --data-dir data"),
                                 std::string("train --config cfg.yaml --data-dir data --out m6 --resume")})
    expect_bad_input(cmd, cmd.substr(0, cmd.find(' ')), {"m6/checkpoint.bbc: mask of layer 1", "keeps part of block"});
}

// 8. Smaller: gzip bomb, duplicate keys, NaN normalisation, optimizer values summary accepted.
TEST_F(CliHostile, SmallerHoles) {
  testing_support::copy_tree(path("data"), path("bomb"));
  const std::string labels = path("bomb/mnist/train-labels-idx1-ubyte");
  std::string bytes = read_file(labels) + std::string(size_t{32} << 20, '\0');
  gzFile gz = gzopen((labels + ".gz").c_str(), "wb1");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
  std::remove(labels.c_str());
  expect_bad_input("train --config cfg.yaml --data-dir bomb --out e8", "train",
                   {"train-labels-idx1-ubyte.gz", "decompresses to more than the 308 bytes its header declares"});
  tiny_write(path("twice.yaml"), std::string(testing_support::tiny_mlp_yaml()) + "  epochs: 20\n");
  expect_bad_input("train --config twice.yaml --data-dir data --out e8", "train", {"twice.yaml", "'epochs' appears twice"});
  expect_bad_input("train --config cfg.yaml --set data.normalize.mean=.nan --data-dir data --out e8", "train",
                   {"data.normalize.mean", "finite"});
  expect_bad_input("summary --config cfg.yaml --set train.optimizer.beta1=1.5", "summary", {"train.optimizer", "beta1"});
}

}  // namespace
}  // namespace bitblock
