#pragma once
// The run log's progress lines: the run's header, a batch's running totals with speed and ETA,
// an epoch's result, and divergence.
#include <cstdint>
#include <string>

#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/device.hpp"

namespace bitblock {

// "run <dir>: <data set> (<n> train, <m> test), <e> epochs, batch <b>, <t> threads, seed <s>, device <d>"
std::string run_line(const std::string& dir, const ExperimentConfig& config, const DataSplits& data, int threads,
                     Device device);

// Running totals of the epoch in progress after batch b (1-based) of `batches`, at samples_per_s
// over the session, with `left_samples` still to train.
std::string batch_line(int epoch, int epochs, int64_t b, int64_t batches, const TrainPosition& pos, double lr,
                       double samples_per_s, double left_samples);

std::string epoch_line(const EpochMetrics& m, int epochs);

// "error: training diverged: <what> (lower train.optimizer.lr?); last good checkpoint kept: <path>"
// (or "none written yet" while the checkpoint does not exist).
std::string diverged_line(const std::string& what, const std::string& checkpoint_path);

// "1h02m" or "3m05s".
std::string format_duration(double seconds);

}  // namespace bitblock
