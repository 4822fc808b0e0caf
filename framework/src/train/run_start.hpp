#pragma once
// Where a run in its folder starts: a new run writes <dir>/config.yaml and starts at epoch 0; a
// resumed run restores the model and optimizer from its checkpoint (checked against the config
// and the data) and continues at the checkpoint's position, with its history.
#include <string>
#include <vector>

#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "bitblock/framework/run_files.hpp"
#include "bitblock/framework/run_folder.hpp"
#include "bitblock/framework/sequential.hpp"

namespace bitblock {

struct StartPoint {
  TrainPosition position;
  std::vector<EpochMetrics> history;
};

// InputError naming the checkpoint when it does not fit the config, the data or the model.
StartPoint start_or_resume(const ExperimentConfig& config, const std::string& dir, const OpenedRun& run,
                           int64_t train_samples, Sequential& net, Optimizer& optimizer, RunLog& log);

}  // namespace bitblock
