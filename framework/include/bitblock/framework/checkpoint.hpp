#pragma once
// Training checkpoints: everything needed to continue a run exactly where it stopped (also in
// the middle of an epoch): resolved config, position, partial epoch statistics, metrics history,
// parameters, BN buffers, optimizer state and sparsity masks. Device independent (host floats).
// Layout (version 2): "BBCK" | u32 version | u64 header bytes | u32 CRC32 of the header |
// JSON header | blobs (CRC32 each, in the header). Version 1 (no header CRC) is still read, so
// unfinished runs of older builds resume; their next checkpoint is written as version 2.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bitblock/framework/tensor.hpp"

namespace bitblock {

struct EpochMetrics {
  int epoch = 0;                // 1-based
  double lr = 0.0;
  double train_loss = 0.0, train_acc = 0.0;
  double test_loss = 0.0, test_acc = 0.0;
  double samples_per_s = 0.0;
  double seconds = 0.0;         // training time of the epoch (excludes evaluation)
};

struct TrainPosition {
  int epoch = 0;                // 0-based epoch in progress (== epochs when finished)
  int64_t next_batch = 0;       // first batch of that epoch not yet trained
  double loss_sum = 0.0;        // partial sums of the epoch in progress
  int64_t correct = 0, seen = 0;
  double seconds = 0.0;
  int64_t optimizer_step = 0;
};

constexpr uint32_t kCheckpointVersion = 2;

struct Checkpoint {
  uint32_t version = kCheckpointVersion;   // as read (1: the header had no CRC)
  std::string config_yaml;
  TrainPosition position;
  std::vector<EpochMetrics> history;
  std::vector<std::pair<std::string, Tensor>> tensors;               // params, buffers, optimizer
  std::vector<std::pair<std::string, std::vector<uint8_t>>> masks;   // per constrained layer
};

void save_checkpoint(const Checkpoint& ckpt, const std::string& path);  // atomic (always the current version)

// The first impossible value among a checkpoint's tensors, as "tensor '<name>' ...": NaN or an
// infinity anywhere (a diverged run), a negative batch-norm running variance
// ("buffer.<i>.running_var") or a negative Adam second moment ("optim.<param>.v"). Empty when
// every value is possible. The trainer checks its state with it before each checkpoint.
std::string state_problem(const Checkpoint& c);
// InputError naming the file on damage: bad magic or version, truncation, a header or blob CRC
// mismatch, invalid JSON (syntax, depth, duplicate keys), missing or mistyped keys, numbers out
// of range (negative counts, NaN, accuracies over 1), blob shapes that overflow or disagree with
// the blob's size, unknown blob kinds, blobs listed twice, and tensors state_problem objects to.
Checkpoint load_checkpoint(const std::string& path);
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where);  // the same on bytes

// The position must be one a run of `epochs` epochs over `train_samples` samples in batches of
// `batch_size` can stop at: epoch <= epochs with one history row per finished epoch (numbered
// 1..), batch within the epoch, partial sums covering exactly the batches run, optimizer steps
// = epoch * batches + batch. InputError "<where>: position: ..." otherwise.
void check_position(const Checkpoint& c, int epochs, int64_t train_samples, int batch_size, const std::string& where);

}  // namespace bitblock
