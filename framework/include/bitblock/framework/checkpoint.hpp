#pragma once
// Training checkpoints: everything needed to continue a run exactly where it stopped (also in
// the middle of an epoch): resolved config, position, partial epoch statistics, metrics history,
// parameters, BN buffers, optimizer state and sparsity masks. Device independent (host floats).
// Layout: "BBCK" | u32 version | u64 header bytes | JSON header | blobs (CRC32 each, in header).
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

struct Checkpoint {
  std::string config_yaml;
  TrainPosition position;
  std::vector<EpochMetrics> history;
  std::vector<std::pair<std::string, Tensor>> tensors;               // params, buffers, optimizer
  std::vector<std::pair<std::string, std::vector<uint8_t>>> masks;   // per constrained layer
};

void save_checkpoint(const Checkpoint& ckpt, const std::string& path);  // atomic
Checkpoint load_checkpoint(const std::string& path);                    // InputError on damage

}  // namespace bitblock
