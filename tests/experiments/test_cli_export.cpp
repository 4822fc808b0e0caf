// `bitblock export --format bbm|onnx|qonnx` from a checkpoint or a model file, and `eval --model
// --logits`, through the real binary on a tiny synthetic MNIST: what cannot be expressed (float
// activations) is exit 2 with the reason and leaves --out as it was; a model file converts to
// each format; the logits file holds one row per image whose argmax gives the printed accuracy.
// (Exactness against ONNX Runtime on whole test sets: tests/interop/run_interop.sh.)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "experiments/test_cli_run.hpp"

namespace bitblock {
namespace {

using testing_support::CliResult;
using testing_support::expect_bad_input;
using testing_support::run_bitblock;
using testing_support::TempDir;

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("tiny config lacks " + from);
  return s.replace(at, from.size(), to);
}

// Files in dir whose names hold ".tmp." (atomic_file's temporaries).
std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  return out;
}

class CliExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("cli_export");
    testing_support::write_tiny_mnist(dir_->path + "/data");
    const std::string yaml = testing_support::tiny_mlp_yaml();
    testing_support::tiny_write(path("int.yaml"), yaml);
    // Float (32-bit) activations: trains, but has no integer model file.
    testing_support::tiny_write(path("float.yaml"), replaced(yaml, "{type: act, fn: relu, bits: 8, max: 4.0}",
                                                             "{type: act, fn: relu, bits: 32}"));
    for (const char* name : {"int", "float"})
      ASSERT_EQ(run_bitblock(std::string("train --config ") + name + ".yaml --data-dir data --out " + name +
                                 " --threads 2 --quiet --set train.epochs=1",
                             dir_->path)
                    .code,
                0);
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string path(const std::string& name) { return dir_->path + "/" + name; }
  static std::unique_ptr<TempDir> dir_;
};
std::unique_ptr<TempDir> CliExport::dir_;

TEST_F(CliExport, FloatActivationsAreBadInputAndOutStaysAsItWas) {
  for (const char* format : {"onnx", "qonnx", "bbm"}) {
    write_file_atomic(path("kept.onnx"), "earlier contents");
    expect_bad_input(std::string("export --checkpoint float/checkpoint.bbc --format ") + format +
                         " --out kept.onnx --data-dir data",
                     dir_->path, "export", {"float/checkpoint.bbc", "cannot export", "relu with 32 bits is not integer"});
    EXPECT_EQ(read_file(path("kept.onnx")), "earlier contents") << format;
    EXPECT_TRUE(temp_files(dir_->path).empty()) << format;
  }
}

TEST_F(CliExport, BadArgumentsAreBadInput) {
  expect_bad_input("export --model int/model.bbm --format tflite --out m.x --data-dir data", dir_->path, "export",
                   {"--format", "tflite", "bbm, onnx, qonnx"});
  expect_bad_input("export --model int/model.bbm --checkpoint int/checkpoint.bbc --out m.onnx --data-dir data",
                   dir_->path, "export", {"--checkpoint / --model", "exactly one"});
  expect_bad_input("export --model missing.bbm --format onnx --out m.onnx --data-dir data", dir_->path, "export",
                   {"missing.bbm"});
  EXPECT_FALSE(file_exists(path("m.onnx")));
}

TEST_F(CliExport, ModelFileConvertsToEveryFormat) {
  // bbm -> bbm rewrites the same bytes (the file is a pure function of the network).
  CliResult bbm = run_bitblock("export --model int/model.bbm --format bbm --out copy.bbm --data-dir data", dir_->path);
  ASSERT_EQ(bbm.code, 0) << bbm.err;
  EXPECT_EQ(read_file(path("copy.bbm")), read_file(path("int/model.bbm")));
  CliResult eval = run_bitblock("eval --model int/model.bbm --data-dir data", dir_->path);
  ASSERT_EQ(eval.code, 0) << eval.err;
  const std::string acc = eval.out.substr(eval.out.find("accuracy "), 15);
  for (const char* format : {"onnx", "qonnx"}) {
    const std::string out = std::string("m.") + format;
    CliResult r = run_bitblock("export --model int/model.bbm --format " + std::string(format) + " --out " + out +
                                   " --data-dir data",
                               dir_->path);
    ASSERT_EQ(r.code, 0) << r.err;
    // An ONNX ModelProto starts with field 1 (ir_version, varint): tag byte 0x08, then 7.
    const std::string bytes = read_file(path(out));
    ASSERT_GT(bytes.size(), 2u);
    EXPECT_EQ(bytes[0], '\x08');
    EXPECT_EQ(bytes[1], '\x07');
    EXPECT_NE(r.out.find("integer-only test " + acc), std::string::npos) << r.out << " vs " << eval.out;
  }
  // From the checkpoint too (the integer network is built from it first).
  CliResult ck = run_bitblock("export --checkpoint int/checkpoint.bbc --format onnx --out ck.onnx --data-dir data",
                              dir_->path);
  ASSERT_EQ(ck.code, 0) << ck.err;
  EXPECT_GT(read_file(path("ck.onnx")).size(), 1000u);
}

TEST_F(CliExport, LogitsFileHasOneRowPerImageAndGivesTheAccuracy) {
  CliResult r = run_bitblock("eval --model int/model.bbm --data-dir data --logits logits.csv", dir_->path);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string labels = read_file(path("data/mnist/t10k-labels-idx1-ubyte")).substr(8);
  std::istringstream in(read_file(path("logits.csv")));
  int rows = 0, right = 0;
  for (std::string line; std::getline(in, line); ++rows) {
    std::vector<long long> v;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) v.push_back(std::stoll(c));
    ASSERT_EQ(v.size(), 10u) << line;
    const auto best = std::max_element(v.begin(), v.end()) - v.begin();  // first maximum, as eval
    right += best == static_cast<unsigned char>(labels[static_cast<size_t>(rows)]);
  }
  EXPECT_EQ(rows, static_cast<int>(labels.size()));
  char want[64];
  std::snprintf(want, sizeof want, "accuracy %.2f%%", 100.0 * right / rows);
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out << " vs " << want;
  EXPECT_TRUE(temp_files(dir_->path).empty());
}

// `sweep --export onnx` writes model.onnx beside each run's model.bbm (the bytes `export --model`
// writes); a later sweep with another format exports the finished runs without training them.
TEST(SweepExport, EveryRunInTheFormats) {
  TempDir dir("sweep_export");
  testing_support::write_tiny_mnist(dir / "data", 200, 50);
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml", "sweep: ex\nbase: tiny.yaml\nset: {train.epochs: 1}\ngrid:\n  constraints.default.ratio: [2, 4]\n");
  expect_bad_input("sweep --config sweep.yaml --data-dir data --export tflite", dir.path, "sweep", {"--export", "tflite"});
  CliResult r = run_bitblock("sweep --config sweep.yaml --data-dir data --export onnx", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 ran, 0 failed"), std::string::npos) << r.out;
  for (const char* run : {"ratio-2", "ratio-4"}) {
    const std::string folder = dir / (std::string("runs/ex/") + run);
    ASSERT_TRUE(file_exists(folder + "/model.onnx")) << run;
    ASSERT_EQ(run_bitblock("export --model " + folder + "/model.bbm --format onnx --out again.onnx --data-dir data", dir.path).code, 0);
    EXPECT_EQ(read_file(folder + "/model.onnx"), read_file(dir / "again.onnx")) << run;
    EXPECT_FALSE(file_exists(folder + "/model.qonnx"));
  }
  r = run_bitblock("sweep --config sweep.yaml --data-dir data --export qonnx", dir.path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 ran, 0 failed, 2 finished before (2 of them simulated or exported now)"), std::string::npos) << r.out;
  for (const char* run : {"ratio-2", "ratio-4"})
    EXPECT_TRUE(file_exists(dir / (std::string("runs/ex/") + run + "/model.qonnx"))) << run;
}

}  // namespace
}  // namespace bitblock
