#pragma once
// The end of a finished run: the weight memory report, the model file (with its integer-only
// test accuracy) and summary.json, from a host copy of the trained network.
#include <string>

#include "bitblock/framework/config.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/run_files.hpp"
#include "bitblock/framework/sequential.hpp"
#include "bitblock/framework/trainer.hpp"

namespace bitblock {

// Fills outcome.memory and outcome.exported (outcome.history holds the run's epochs).
void finish_run(Sequential& net, const ExperimentConfig& config, const ModelInput& input, const DataSplits& data,
                const std::string& dir, RunLog& log, TrainOutcome& outcome);

}  // namespace bitblock
