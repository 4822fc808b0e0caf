#pragma once
// What a run is known to survive before `train --restart` removes the previous run: its config,
// its data (already loaded), its model on the device, and a training step on a first batch and
// on the epoch's last, smaller batch, on a throwaway copy of the model (the run itself starts
// from its seed as usual).
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/tensor.hpp"

namespace bitblock {

// Throws what the run would throw in those steps (InputError naming the key or file).
void check_run_starts(const ExperimentConfig& config, const DataSplits& data, Device device);

}  // namespace bitblock
