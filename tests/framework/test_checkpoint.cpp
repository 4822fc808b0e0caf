// Checkpoint files: every field survives a save/load round trip bit for bit, damage (truncation,
// bad magic, a flipped byte in a blob, a broken header) is an InputError naming the file, and the
// atomic write leaves nothing but the checkpoint behind.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <zlib.h>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/checkpoint.hpp"
#include "framework/checkpoint_bytes.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

using testing_support::expect_input_error;
using testing_support::join;
using testing_support::Parts;
using testing_support::split;
using testing_support::TempDir;
using testing_support::tiny_write;

Checkpoint sample_checkpoint() {
  Checkpoint c;
  c.config_yaml = "name: sample\nseed: 5\n# unicode \xc3\xa9 and \"quotes\"\n";
  c.position.epoch = 3;
  c.position.next_batch = 17;
  c.position.loss_sum = 0.1 + 0.2;                   // 0.30000000000000004
  c.position.correct = 1234567890123;
  c.position.seen = 9876543210;
  c.position.seconds = 1e-300;
  c.position.optimizer_step = 4242;
  EpochMetrics m1;
  m1.epoch = 1;
  m1.lr = 0.002;
  m1.train_loss = 2.302585092994046;
  m1.train_acc = 1.0 / 3.0;
  m1.test_loss = 1.7976931348623157e308;
  m1.test_acc = 0.9921875;
  m1.samples_per_s = 12345.678;
  m1.seconds = 3.25;
  EpochMetrics m2 = m1;
  m2.epoch = 2;
  m2.lr = 1.9999999999999998e-3;
  m2.train_acc = 2.0 / 7.0;
  c.history = {m1, m2};
  c.tensors.emplace_back("param.1.weight", Tensor({2, 3}, {1.5f, -0.0f, 3.0e-39f, -7.25f, 1e30f, 0.1f}));
  c.tensors.emplace_back("buffer.2.running_var", Tensor({4}, {1.0f, 2.0f, std::numeric_limits<float>::max(), 0.0f}));
  c.tensors.emplace_back("optim.1.weight.m", Tensor({1}, std::vector<float>{-1.0f}));
  c.masks.emplace_back("1", std::vector<uint8_t>{1, 0, 1, 1, 0, 0});
  c.masks.emplace_back("5", std::vector<uint8_t>{});
  return c;
}

uint32_t float_bits(float v) {
  uint32_t u = 0;
  std::memcpy(&u, &v, 4);
  return u;
}

// Issue 22: NaN, infinities and negative variances or second moments were accepted and trained
// on (or evaluated to NaN) with exit 0.
TEST(Checkpoint, ImpossibleTensorValuesAreRefusedNamingTheTensor) {
  TempDir dir("ckpt");
  EXPECT_EQ(state_problem(sample_checkpoint()), "");
  const struct {
    const char* tensor;
    float value;
    const char* problem;
  } cases[] = {{"param.1.weight", std::numeric_limits<float>::quiet_NaN(), "tensor 'param.1.weight' holds NaN at element 0"},
               {"buffer.2.running_var", std::numeric_limits<float>::infinity(), "tensor 'buffer.2.running_var' holds +Inf"},
               {"optim.1.weight.m", -std::numeric_limits<float>::infinity(), "tensor 'optim.1.weight.m' holds -Inf"},
               {"buffer.2.running_var", -0.5f, "tensor 'buffer.2.running_var' holds the negative value -0.5"},
               {"optim.1.weight.v", -1e-8f, "tensor 'optim.1.weight.v' holds the negative value"}};
  for (const auto& k : cases) {
    SCOPED_TRACE(k.problem);
    Checkpoint c = sample_checkpoint();
    bool found = false;
    for (auto& [name, t] : c.tensors)
      if (name == k.tensor) {
        t.data()[0] = k.value;
        found = true;
      }
    if (!found) c.tensors.emplace_back(k.tensor, Tensor({2}, {k.value, 1.0f}));
    EXPECT_NE(state_problem(c).find(k.problem), std::string::npos) << state_problem(c);
    save_checkpoint(c, dir / "bad.bbc");
    testing_support::expect_input_error([&] { load_checkpoint(dir / "bad.bbc"); }, {dir / "bad.bbc", k.problem});
  }
  // A negative first moment (m) or mean is an ordinary value.
  Checkpoint c = sample_checkpoint();
  c.tensors.emplace_back("buffer.2.running_mean", Tensor({1}, std::vector<float>{-3.0f}));
  EXPECT_EQ(state_problem(c), "");
}

TEST(Checkpoint, RoundTripKeepsEveryFieldBitForBit) {
  TempDir dir("ckpt");
  const Checkpoint a = sample_checkpoint();
  save_checkpoint(a, dir / "c.bbc");
  const Checkpoint b = load_checkpoint(dir / "c.bbc");

  EXPECT_EQ(b.config_yaml, a.config_yaml);
  EXPECT_EQ(b.position.epoch, 3);
  EXPECT_EQ(b.position.next_batch, 17);
  EXPECT_EQ(b.position.loss_sum, 0.1 + 0.2);
  EXPECT_EQ(b.position.correct, 1234567890123);
  EXPECT_EQ(b.position.seen, 9876543210);
  EXPECT_EQ(b.position.seconds, 1e-300);
  EXPECT_EQ(b.position.optimizer_step, 4242);
  ASSERT_EQ(b.history.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(b.history[i].epoch, a.history[i].epoch);
    EXPECT_EQ(b.history[i].lr, a.history[i].lr);
    EXPECT_EQ(b.history[i].train_loss, a.history[i].train_loss);
    EXPECT_EQ(b.history[i].train_acc, a.history[i].train_acc);
    EXPECT_EQ(b.history[i].test_loss, a.history[i].test_loss);
    EXPECT_EQ(b.history[i].test_acc, a.history[i].test_acc);
    EXPECT_EQ(b.history[i].samples_per_s, a.history[i].samples_per_s);
    EXPECT_EQ(b.history[i].seconds, a.history[i].seconds);
  }
  EXPECT_EQ(b.history[1].train_acc, 2.0 / 7.0);
  ASSERT_EQ(b.tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(b.tensors[i].first, a.tensors[i].first);
    ASSERT_EQ(b.tensors[i].second.shape(), a.tensors[i].second.shape());
    for (int64_t k = 0; k < a.tensors[i].second.numel(); ++k)
      EXPECT_EQ(float_bits(b.tensors[i].second[k]), float_bits(a.tensors[i].second[k])) << a.tensors[i].first << " " << k;
  }
  EXPECT_TRUE(std::signbit(b.tensors[0].second[1]));   // -0.0 stays negative zero
  ASSERT_EQ(b.masks.size(), 2u);
  EXPECT_EQ(b.masks[0].first, "1");
  EXPECT_EQ(b.masks[0].second, (std::vector<uint8_t>{1, 0, 1, 1, 0, 0}));
  EXPECT_EQ(b.masks[1].first, "5");
  EXPECT_TRUE(b.masks[1].second.empty());
}

TEST(Checkpoint, FileStartsWithMagicAndVersion) {
  TempDir dir("ckpt");
  save_checkpoint(sample_checkpoint(), dir / "c.bbc");
  const std::string bytes = read_file(dir / "c.bbc");
  ASSERT_GE(bytes.size(), 20u);
  EXPECT_EQ(bytes.substr(0, 4), "BBCK");
  uint32_t version = 0, crc = 0;
  uint64_t header = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&header, bytes.data() + 8, 8);
  std::memcpy(&crc, bytes.data() + 16, 4);
  EXPECT_EQ(version, 2u);
  EXPECT_EQ(crc, crc32(0L, reinterpret_cast<const Bytef*>(bytes.data() + 20), static_cast<uInt>(header)));
  // Header JSON, then the blobs: 6 + 4 + 1 floats and 6 + 0 mask bytes.
  EXPECT_EQ(bytes.size(), 20 + header + (6 + 4 + 1) * 4 + 6);
  EXPECT_EQ(bytes[20], '{');
}

TEST(Checkpoint, TruncatedFilesAreRejectedNamingTheFile) {
  TempDir dir("ckpt");
  const std::string path = dir / "c.bbc";
  save_checkpoint(sample_checkpoint(), path);
  const std::string bytes = read_file(path);
  uint64_t header = 0;
  std::memcpy(&header, bytes.data() + 8, 8);
  const std::string cut = dir / "cut.bbc";
  for (size_t keep : {size_t{0}, size_t{3}, size_t{15}, size_t{19}, size_t{20 + header / 2}, size_t{20 + header},
                      bytes.size() - 7, bytes.size() - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(bytes.size()) + " bytes");
    tiny_write(cut, bytes.substr(0, keep));
    expect_input_error([&] { load_checkpoint(cut); }, {cut});
  }
  expect_input_error([&] { load_checkpoint(dir / "missing.bbc"); }, {dir / "missing.bbc"});
}

TEST(Checkpoint, BadMagicVersionAndHeaderAreRejected) {
  TempDir dir("ckpt");
  const std::string path = dir / "c.bbc";
  save_checkpoint(sample_checkpoint(), path);
  const std::string bytes = read_file(path);

  std::string magic = bytes;
  magic[0] = 'X';
  tiny_write(path, magic);
  expect_input_error([&] { load_checkpoint(path); }, {path, "magic"});

  std::string version = bytes;
  version[4] = 9;
  tiny_write(path, version);
  expect_input_error([&] { load_checkpoint(path); }, {path, "version 9"});

  Parts parts = split(bytes);
  parts.header = nlohmann::json::array({parts.header});  // JSON, but not the expected object
  tiny_write(path, join(parts));
  expect_input_error([&] { load_checkpoint(path); }, {path});

  std::string garbage = bytes;
  garbage[21] = '\x01';
  tiny_write(path, garbage);
  expect_input_error([&] { load_checkpoint(path); }, {path, "CRC mismatch in the header"});
}

TEST(Checkpoint, FlippedByteInEveryBlobFailsItsCrc) {
  TempDir dir("ckpt");
  const std::string path = dir / "c.bbc";
  save_checkpoint(sample_checkpoint(), path);
  const std::string bytes = read_file(path);
  uint64_t header = 0;
  std::memcpy(&header, bytes.data() + 8, 8);
  const size_t base = 20 + header;
  // Blob offsets as laid out: weight (24 bytes), running_var (16), optimizer (4), mask (6).
  const std::vector<std::pair<size_t, std::string>> blobs = {
      {0, "param.1.weight"}, {24 + 5, "buffer.2.running_var"}, {40 + 3, "optim.1.weight.m"}, {44 + 2, "'1'"}};
  for (const auto& [offset, name] : blobs) {
    SCOPED_TRACE(name);
    std::string damaged = bytes;
    damaged[base + offset] = static_cast<char>(damaged[base + offset] ^ 0x10);
    const std::string bad = dir / "bad.bbc";
    tiny_write(bad, damaged);
    expect_input_error([&] { load_checkpoint(bad); }, {bad, "CRC", name});
  }
}

TEST(Checkpoint, AtomicWriteLeavesOnlyTheCheckpoint) {
  TempDir dir("ckpt");
  const std::string path = dir / "checkpoint.bbc";
  Checkpoint c = sample_checkpoint();
  save_checkpoint(c, path);
  c.position.epoch = 4;
  save_checkpoint(c, path);   // overwrite in place
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"checkpoint.bbc"});
  EXPECT_EQ(load_checkpoint(path).position.epoch, 4);
}

TEST(Checkpoint, UnwritableFolderIsAnInputError) {
  expect_input_error([] { save_checkpoint(sample_checkpoint(), "/nonexistent_bitblock_dir/sub/c.bbc"); },
                     {"/nonexistent_bitblock_dir/sub/c.bbc"});
}

// --- Hostile checkpoints (issue 14) ---

TEST(Checkpoint, OneFlippedBitOfTheConfigIsCaught) {
  TempDir dir("ckpt");
  Checkpoint c = sample_checkpoint();
  c.config_yaml = "train:\n  optimizer: {type: adam, lr: 0.001}\n";
  save_checkpoint(c, dir / "c.bbc");
  std::string bytes = read_file(dir / "c.bbc");
  const size_t at = bytes.find("lr: 0.001") + 8;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x02);  // 0.001 -> 0.003
  tiny_write(dir / "flip.bbc", bytes);
  expect_input_error([&] { load_checkpoint(dir / "flip.bbc"); }, {dir / "flip.bbc", "CRC mismatch in the header"});
}

TEST(Checkpoint, VersionOneFilesAreStillRead) {
  TempDir dir("ckpt");
  save_checkpoint(sample_checkpoint(), dir / "c.bbc");
  tiny_write(dir / "old.bbc", join(split(read_file(dir / "c.bbc")), 1));
  const Checkpoint old = load_checkpoint(dir / "old.bbc");
  EXPECT_EQ(old.version, 1u);
  EXPECT_EQ(old.config_yaml, sample_checkpoint().config_yaml);
  EXPECT_EQ(old.position.optimizer_step, 4242);
  EXPECT_EQ(old.masks[0].second, (std::vector<uint8_t>{1, 0, 1, 1, 0, 0}));
  // Saving it again writes the current version.
  save_checkpoint(old, dir / "again.bbc");
  EXPECT_EQ(load_checkpoint(dir / "again.bbc").version, 2u);
}

TEST(Checkpoint, AbsurdShapesAndNumbersAreInputErrors) {
  TempDir dir("ckpt");
  save_checkpoint(sample_checkpoint(), dir / "c.bbc");
  const Parts good = split(read_file(dir / "c.bbc"));
  const std::string bad = dir / "bad.bbc";
  auto expect_bad = [&](const std::function<void(nlohmann::json&)>& damage, const std::vector<std::string>& fragments) {
    Parts p = good;
    damage(p.header);
    tiny_write(bad, join(p));
    std::vector<std::string> all = {bad};
    all.insert(all.end(), fragments.begin(), fragments.end());
    expect_input_error([&] { load_checkpoint(bad); }, all);
  };
  expect_bad([](nlohmann::json& h) { h["blobs"][0]["shape"] = {int64_t{1} << 40, int64_t{1} << 40}; },
             {"param.1.weight", "too large"});
  expect_bad([](nlohmann::json& h) { h["blobs"][0]["shape"] = {-2, -3}; }, {"param.1.weight", "shape", "outside"});
  expect_bad([](nlohmann::json& h) { h["blobs"][0]["shape"] = {3, 3}; }, {"param.1.weight", "does not match its shape"});
  expect_bad([](nlohmann::json& h) { h["blobs"][0]["offset"] = INT64_MAX; }, {"truncated", "param.1.weight"});
  expect_bad([](nlohmann::json& h) { h["blobs"][0]["kind"] = "tensr"; }, {"kind 'tensr'"});
  expect_bad([](nlohmann::json& h) { h["blobs"][1]["name"] = "param.1.weight"; }, {"listed twice"});
  expect_bad([](nlohmann::json& h) { h["position"]["loss_sum"] = nullptr; }, {"loss_sum: expected a number"});
  expect_bad([](nlohmann::json& h) { h["position"]["seen"] = -1; }, {"position", "seen: -1 is outside"});
  expect_bad([](nlohmann::json& h) { h["position"]["epoch"] = 1e10; }, {"epoch: expected an integer"});
  expect_bad([](nlohmann::json& h) { h["history"][0]["test_acc"] = 1.5; }, {"history[0]", "test_acc"});
  expect_bad([](nlohmann::json& h) { h["config"] = 7; }, {"config: expected a string"});
}

// A checkpoint of a run with 10 samples in batches of 4 (3 batches per epoch) over 2 epochs.
Checkpoint at(int epoch, int64_t next_batch) {
  Checkpoint c;
  c.position.epoch = epoch;
  c.position.next_batch = next_batch;
  c.position.seen = std::min<int64_t>(next_batch * 4, 10);
  c.position.correct = c.position.seen / 2;
  c.position.loss_sum = next_batch ? 1.5 : 0.0;
  c.position.optimizer_step = epoch * 3 + next_batch;
  for (int e = 1; e <= epoch; ++e) c.history.push_back({e, 0.1, 1.0, 0.5, 1.0, 0.5, 100.0, 1.0});
  return c;
}

TEST(Checkpoint, PositionsARunCanStopAtAreAccepted) {
  for (const auto& [epoch, batch] : {std::pair<int, int64_t>{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 0}})
    EXPECT_NO_THROW(check_position(at(epoch, batch), 2, 10, 4, "c.bbc")) << epoch << " " << batch;
}

TEST(Checkpoint, PositionsOutOfRangeAreInputErrors) {
  auto expect_bad = [](const Checkpoint& c, const std::string& fragment) {
    expect_input_error([&] { check_position(c, 2, 10, 4, "c.bbc"); }, {"c.bbc: position", fragment});
  };
  expect_bad(at(1, 4), "batch 4 is outside the epoch's 3 batches");   // reads past the shuffled order
  expect_bad(at(2, 1), "batch 1 is outside");                          // a finished run has no partial epoch
  expect_bad(at(3, 0), "epoch 3 is past the run's 2 epochs");
  Checkpoint c = at(1, 3);
  c.position.seen = 0;  // an epoch end with nothing seen: NaN train loss in metrics.csv
  expect_bad(c, "0 samples seen, batch 3 means 10");
  c = at(1, 1);
  c.position.correct = 5;
  expect_bad(c, "5 correct of 4 seen");
  c = at(1, 0);
  c.history.pop_back();  // a finished epoch's row would be overwritten
  expect_bad(c, "epoch 1 but 0 finished epochs");
  c = at(1, 0);
  c.position.optimizer_step = 7;
  expect_bad(c, "optimizer step 7 does not match");
  c = at(2, 0);
  c.history[1].epoch = 1;
  expect_input_error([&] { check_position(c, 2, 10, 4, "c.bbc"); }, {"c.bbc: history[1]: epoch 1, expected 2"});
}

}  // namespace
}  // namespace bitblock
