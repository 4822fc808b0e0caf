// Values and bounds through the real binary (issue 22, items 7-12): divergence and poisoned
// state, memory bounds, allocation failure, hwsim results, model-file blobs and names, and the
// smaller holes. Each case exited 0 with a wrong or infinite result, exited 1 or 134, hung, or
// took the last of a repeated flag before; now each is exit 2 (exit 3 for divergence) with one
// stderr line naming the key or file, or (one-sample batches, eval --model --batch) works.
// Cases that hung or ate memory before run in a child under a data-size limit and an alarm.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
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
using testing_support::expect_one_error_line;
using testing_support::tiny_write;

// `bitblock <args>` in cwd under `ulimit -d data_bytes` (0: none) with an alarm: exit code (-1
// when a signal ended it, 127 when the binary could not even load), stdout and stderr.
CliResult run_limited(const std::vector<std::string>& args, const std::string& cwd, int64_t data_bytes,
                      unsigned alarm_s = 120) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (data_bytes > 0) {
      const rlimit limit{static_cast<rlim_t>(data_bytes), static_cast<rlim_t>(data_bytes)};
      if (setrlimit(RLIMIT_DATA, &limit) != 0) _exit(126);
    }
    alarm(alarm_s);
    std::vector<std::string> owned = {testing_support::bitblock_binary()};
    owned.insert(owned.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : owned) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    const int out = open(".lim_stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(".lim_stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(126);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = testing_support::slurp(cwd + "/.lim_stdout");
  r.err = testing_support::slurp(cwd + "/.lim_stderr");
  return r;
}

std::string float_bytes(float v) { return std::string(reinterpret_cast<const char*>(&v), sizeof v); }

class CliBounds : public testing_support::CliSuite<CliBounds> {
 public:
  static constexpr const char* kFolder = "cli_bounds";
  static constexpr bool kFinishedRun = true;

 protected:
  // The finished run's checkpoint with one tensor's first value replaced.
  static void poison_checkpoint(const std::string& to, const std::string& tensor, float value) {
    testing_support::Parts parts = testing_support::split(read_file(path("done/checkpoint.bbc")));
    const auto [offset, bytes] = testing_support::blob_range(parts, "tensor", tensor);
    ASSERT_GE(bytes, sizeof value) << tensor;
    const std::string blob = float_bytes(value) + parts.blobs.substr(offset + sizeof value, bytes - sizeof value);
    testing_support::patch_blob(parts, "tensor", tensor, blob);
    tiny_write(path(to), testing_support::join(parts));
  }
};

// 7. lr 1e30 finished with exit 0 (loss ~1e29, +Inf batch-norm variances in the checkpoint).
TEST_F(CliBounds, BlownUpTrainingIsDivergenceAndKeepsOnlyGoodCheckpoints) {
  const CliResult r = run("train --config cfg.yaml --set train.optimizer.lr=1e30 --data-dir data --out blown --quiet");
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("training diverged"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(path("blown/summary.json")));
  EXPECT_FALSE(file_exists(path("blown/model.bbm")));
  // Whatever checkpoint is there holds a state a run can continue from.
  if (file_exists(path("blown/checkpoint.bbc"))) {
    const Checkpoint c = load_checkpoint(path("blown/checkpoint.bbc"));
    EXPECT_EQ(state_problem(c), "");
  }
}

// 7. Checkpoints holding NaN, +Inf variances or negative Adam second moments were accepted.
TEST_F(CliBounds, PoisonedCheckpointsAreRefusedNamingTheTensor) {
  ASSERT_EQ(done_, 0);
  poison_checkpoint("nan.bbc", "param.1.weight", std::numeric_limits<float>::quiet_NaN());
  expect_bad_input("eval --checkpoint nan.bbc --data-dir data", "eval", {"nan.bbc", "tensor 'param.1.weight'", "NaN"});
  poison_checkpoint("inf.bbc", "buffer.2.running_var", std::numeric_limits<float>::infinity());
  expect_bad_input("export --checkpoint inf.bbc --out inf.bbm --data-dir data", "export",
                   {"inf.bbc", "tensor 'buffer.2.running_var'", "+Inf"});
  EXPECT_FALSE(file_exists(path("inf.bbm")));
  poison_checkpoint("neg.bbc", "optim.1.weight.v", -1.0f);
  copy_run("negrun");
  std::filesystem::copy_file(path("neg.bbc"), path("negrun/checkpoint.bbc"), std::filesystem::copy_options::overwrite_existing);
  expect_bad_input("train --config cfg.yaml --set train.epochs=3 --data-dir data --out negrun --resume", "train",
                   {"negrun/checkpoint.bbc", "tensor 'optim.1.weight.v'", "negative"});
}

// 11. Overlapping blobs (a bias aliased onto the codes) gave 8.9% accuracy and exit 0; names
// with newline or ESC went into terminals and reports; NaN row scales were accepted.
TEST_F(CliBounds, ModelFileBlobsMustNotOverlapAndNamesMustBeSafe) {
  ASSERT_EQ(done_, 0);
  namespace mb = testing::model_bytes;
  const std::string good = read_file(path("done/model.bbm"));
  mb::Split s = mb::split(good);
  nlohmann::json& bias = mb::blob_entry(s.header, "stage0.bias");
  const size_t codes_at = mb::blob_entry(s.header, "stage0.codes")["offset"].get<size_t>();
  bias["offset"] = codes_at;
  bias["crc32"] = crc32(0L, reinterpret_cast<const Bytef*>(s.data.data() + codes_at), bias["size"].get<uInt>());
  tiny_write(path("alias.bbm"), mb::join(s));
  expect_bad_input("eval --model alias.bbm --data-dir data", "eval", {"alias.bbm", "overlap", "stage0.bias"});

  s = mb::split(good);
  s.header["stages"][0]["name"] = "linear1\n\x1b[31mforged";
  tiny_write(path("name.bbm"), mb::join(s));
  const CliResult r = run("summary --model name.bbm");
  expect_one_error_line(r, "summary", {"name.bbm", "stage 0: name 'linear1\\n\\e[31mforged'", "A-Z a-z 0-9 _ - ."});
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos);

  s = mb::split(good);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  mb::patch_blob(s, "stage1.row_scales", 0, &nan, sizeof nan);
  tiny_write(path("scales.bbm"), mb::join(s));
  expect_bad_input("summary --model scales.bbm", "summary", {"scales.bbm", "stage1.row_scales", "non-finite"});
}

// 8. eval --batch 1000000000 allocated 17 GB; --batch 0 and -5 were taken as 1.
TEST_F(CliBounds, BatchSizesAreCheckedBeforeAllocating) {
  ASSERT_EQ(done_, 0);
  expect_bad_input("eval --checkpoint done/checkpoint.bbc --data-dir data --batch 0", "eval", {"--batch", "0 is not"});
  expect_bad_input("eval --checkpoint done/checkpoint.bbc --data-dir data --batch -5", "eval", {"--batch", "-5 is not"});
  expect_bad_input("eval --model done/model.bbm --data-dir data --batch 0", "eval", {"--batch"});
#ifdef BITBLOCK_ASAN
  GTEST_SKIP() << "a memory rlimit cannot hold an AddressSanitizer build (its shadow is terabytes of address space)";
#endif
  // Under a 4 GiB data limit: the code before this fix tried to allocate 17 GB.
  const CliResult r = run_limited({"eval", "--checkpoint", "done/checkpoint.bbc", "--data-dir", "data", "--batch", "1000000000"},
                                  dir_->path, int64_t{4} << 30, 60);
  expect_one_error_line(r, "eval", {"--batch", "a batch of 1000000000 samples", "more than the"});
}

// 12. eval --model rejected the --batch and --threads that eval's help lists.
TEST_F(CliBounds, EvalModelTakesBatchAndThreads) {
  ASSERT_EQ(done_, 0);
  const CliResult plain = run("eval --model done/model.bbm --data-dir data");
  const CliResult batched = run("eval --model done/model.bbm --data-dir data --batch 7 --threads 1");
  ASSERT_EQ(plain.code, 0) << plain.err;
  ASSERT_EQ(batched.code, 0) << batched.err;
  EXPECT_EQ(batched.out, plain.out);  // the same images, the same integers: the same accuracy line
}

// 8, 9. A layer of 2,000,000 outputs was "internal error" (std::bad_alloc, exit 1) or took the
// machine's memory; summary --config /dev/zero read until memory ran out.
TEST_F(CliBounds, ModelsAndFilesLargerThanTheMemoryLimitAreBadInput) {
#ifdef BITBLOCK_ASAN
  GTEST_SKIP() << "a memory rlimit cannot hold an AddressSanitizer build (its shadow is terabytes of address space)";
#endif
  const int64_t limit = int64_t{2} << 30;  // ulimit -d 2 GiB
  CliResult r = run_limited({"summary", "--config", "cfg.yaml", "--set", "model.layers[1].out=2000000"}, dir_->path, limit);
  if (r.code == 127) GTEST_SKIP() << "the binary does not load under a 2 GiB data limit here: " << r.err;
  expect_one_error_line(r, "summary", {"cfg.yaml", "key model.layers[1]", "2000000 x 784 weights", "more than the"});
  r = run_limited({"summary", "--config", "/dev/zero"}, dir_->path, limit);
  expect_one_error_line(r, "summary", {"/dev/zero", "not a regular file (a character device)"});
}

// 9. A FIFO as a data file blocked forever.
TEST_F(CliBounds, FifoAsADataFileIsRefused) {
  testing_support::copy_tree(path("data"), path("fifo"));
  const std::string images = path("fifo/mnist/train-images-idx3-ubyte");
  std::remove(images.c_str());
  ASSERT_EQ(mkfifo(images.c_str(), 0644), 0);
  const CliResult r = run_limited({"data", "info", "mnist", "--data-dir", "fifo"}, dir_->path, 0, 20);
  expect_one_error_line(r, "data", {"train-images-idx3-ubyte", "not a regular file (a FIFO)"});
}

// 9. `data info mnist` aborted (134) on std::bad_alloc under a memory limit. The limit here is
// just above what the binary needs to start: reading a 47 MB image file then fails to allocate.
TEST_F(CliBounds, AllocationFailureIsExitTwoNotAnAbort) {
#ifdef BITBLOCK_ASAN
  GTEST_SKIP() << "a memory rlimit cannot hold an AddressSanitizer build (its shadow is terabytes of address space)";
#endif
  testing_support::TinySplit big = testing_support::make_tiny_split(60000, 5);
  testing_support::copy_tree(path("data"), path("big"));
  tiny_write(path("big/mnist/train-images-idx3-ubyte"), testing_support::idx_images_bytes(big));
  tiny_write(path("big/mnist/train-labels-idx1-ubyte"), testing_support::idx_labels_bytes(big));
  // The smallest data limit (to 16 MiB) at which the binary starts and prints its help. Below it
  // the GPU libraries' initialisation may spin: a short alarm ends those probes.
  int64_t lo = int64_t{128} << 20, hi = int64_t{2} << 30;
  if (run_limited({"--help"}, dir_->path, hi, 10).code != 0) GTEST_SKIP() << "the binary does not start under 2 GiB";
  while (hi - lo > (int64_t{16} << 20)) {
    const int64_t mid = lo + (hi - lo) / 2;
    (run_limited({"--help"}, dir_->path, mid, 3).code == 0 ? hi : lo) = mid;
  }
  const CliResult r = run_limited({"data", "info", "mnist", "--data-dir", "big"}, dir_->path, hi + (int64_t{48} << 20));
  expect_one_error_line(r, "data", {});
  EXPECT_TRUE(r.err.find("out of memory") != std::string::npos || r.err.find("more than the") != std::string::npos)
      << r.err;
}

// 10. A technology constant of 1.7e308 gave "inf nJ" and nulls in report.json, exit 0; --sweep
// lanes=100000000 bypassed the arch's range; a repeated --sweep key made two columns.
TEST_F(CliBounds, HwsimResultsAreFiniteAndSweepsValidated) {
  ASSERT_EQ(done_, 0);
  const std::string hw = std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/";
  std::filesystem::copy_file(hw + "tech/sram40nm.csv", path("sram40nm.csv"), std::filesystem::copy_options::overwrite_existing);
  std::string tech = read_file(hw + "tech/40nm.yaml");
  const size_t at = tech.find("full_adder_energy_pj:");
  ASSERT_NE(at, std::string::npos);
  const size_t end = tech.find('\n', at);
  tech.replace(at, end - at, "full_adder_energy_pj: 1.7e308");
  tiny_write(path("huge_tech.yaml"), tech);
  const std::string model = "--model done/model.bbm --arch " + hw + "arch/small.yaml --data-dir data";
  expect_bad_input("hwsim " + model + " --tech huge_tech.yaml --out hw1", "hwsim",
                   {"huge_tech.yaml", "logic.full_adder_energy_pj", "1.7e308"});
  EXPECT_FALSE(file_exists(path("hw1/report.json")));
  expect_bad_input("hwsim " + model + " --out hw2 --sweep lanes=8,100000000", "hwsim",
                   {"--sweep lanes=1e+08", "lanes: 100000000 outside 1 .. 4096"});
  expect_bad_input("hwsim " + model + " --out hw3 --sweep lanes=8 --sweep lanes=16", "hwsim",
                   {"--sweep lanes", "given twice"});
  EXPECT_FALSE(file_exists(path("hw2/report.json")));
}

// 12. report put accuracy 2.5, negative and NaN memory on the front.
TEST_F(CliBounds, ReportRefusesImpossibleMetrics) {
  const std::string header = "run,structure,test_acc,best_test_acc,integer_test_acc,weight_bits,weight_kib,"
                             "reduction_vs_float32,train_seconds,samples_per_s,energy_nj,area_mm2,classifications_per_s\n";
  const std::string ok = "a,block,0.9,0.9,0.9,100,1.5,20,3,1000,,,\n";
  const struct {
    std::string row, fragments[3];
  } cases[] = {{"b,row,2.5,0.9,0.9,100,1.5,20,3,1000,,,\n", {"line 3: test_acc is 2.5", "expected 0 to 1", ""}},
               {"b,row,0.8,0.9,0.9,100,-1.5,20,3,1000,,,\n", {"line 3: weight_kib is -1.5", "finite number >= 0", ""}},
               {"b,row,0.8,0.9,0.9,nan,1.5,20,3,1000,,,\n", {"line 3: weight_bits is nan", "finite number >= 0", ""}}};
  int n = 0;
  for (const auto& c : cases) {
    const std::string sweep = "rep" + std::to_string(n++);
    make_dirs(path(sweep));
    tiny_write(path(sweep + "/results.csv"), header + ok + c.row);
    std::vector<std::string> fragments = {sweep + "/results.csv"};
    for (const std::string& f : c.fragments)
      if (!f.empty()) fragments.push_back(f);
    expect_bad_input("report " + sweep, "report", fragments);
    EXPECT_FALSE(file_exists(path(sweep + "/report.md")));
  }
}

// 12. Smaller holes in configs and flags.
TEST_F(CliBounds, ConfigValuesAndRepeatedFlags) {
  // std=1e-45 trained to NaN (exit 3); 1e-300 and 1e300 got misleading messages.
  expect_bad_input("train --config cfg.yaml --set data.normalize.std=1e-45 --data-dir data --out s1", "train",
                   {"data.normalize.std", "0.001 .. 1000, got 1e-45"});
  EXPECT_FALSE(file_exists(path("s1")));
  expect_bad_input("summary --config cfg.yaml --set data.normalize.std=1e-300", "summary",
                   {"data.normalize.std", "got 1e-300"});
  expect_bad_input("summary --config cfg.yaml --set data.normalize.mean=1e300", "summary",
                   {"data.normalize.mean", "-1000 .. 1000, got 1e+300"});
  // out: 064 was octal 52.
  expect_bad_input("summary --config cfg.yaml --set model.layers[1].out=064", "summary",
                   {"model.layers[1].out", "'064'", "decimal"});
  // A prune window past the epochs never reached its ratio, silently.
  expect_bad_input("summary --config cfg.yaml --set 'constraints.default={weight_bits: 4, structure: block, block: [8, 8], "
                   "ratio: 2, selection: magnitude, prune: [0, 2]}'",
                   "summary", {"constraints.default.prune", "ends at epoch 2", "train.epochs 2"});
  expect_bad_input("summary --config cfg.yaml --set train.schedule.min_lr=0.5", "summary",
                   {"train.schedule.min_lr", "above train.optimizer.lr"});
  // The last of a repeated flag won.
  expect_bad_input("train --config cfg.yaml --config other.yaml --data-dir data", "train", {"--config", "more than once"});
  expect_bad_input("train --config cfg.yaml --out a --out b --data-dir data", "train", {"--out", "more than once"});
  expect_bad_input("train --config cfg.yaml --seed 1 --seed 2 --data-dir data --out s2", "train", {"--seed", "more than once"});
  EXPECT_FALSE(file_exists(path("a")));
  EXPECT_FALSE(file_exists(path("b")));
}

// 12. A last batch of one sample (300 = 299 + 1) failed at the end of epoch 1 naming no key.
TEST_F(CliBounds, LastBatchOfOneSampleTrains) {
  const CliResult r = run("train --config cfg.yaml --set train.batch_size=299 --data-dir data --out one --quiet --threads 1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(file_exists(path("one/model.bbm")));
  const Checkpoint c = load_checkpoint(path("one/checkpoint.bbc"));
  EXPECT_EQ(c.history.size(), 2u);
  for (const EpochMetrics& m : c.history) EXPECT_TRUE(std::isfinite(m.test_loss));
}

}  // namespace
}  // namespace bitblock
