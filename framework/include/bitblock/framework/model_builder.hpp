#pragma once
// Config -> network: layer list, per-layer resolved constraints (default <- first/last <- layer),
// shape checks against the data set, seeded initialisation.
#include <string>
#include <vector>

#include "bitblock/framework/config.hpp"
#include "bitblock/framework/device.hpp"
#include "bitblock/framework/sequential.hpp"

namespace bitblock {

struct ModelInput {
  Shape shape;                 // per sample: [C, H, W]
  int num_classes = 10;
};

// Input shape and class count of a data set by name (no data needed, for `summary`).
ModelInput dataset_input(const std::string& dataset);

// Builds and initialises the network (on the host, from the seed) and moves it to device. Throws
// InputError naming the config key for impossible layers or constraints (block larger than the
// matrix, ratio too large, wrong output width, ...).
Sequential build_model(const ExperimentConfig& config, const ModelInput& input, Device device = Device::Cpu);

}  // namespace bitblock
