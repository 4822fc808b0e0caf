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

// Input shape and class count of a data set (no data needed, for `summary`).
ModelInput dataset_input(DatasetId dataset);

// Builds and initialises the network (on the host, from the seed) and moves it to device. Throws
// InputError naming the config key for impossible layers or constraints (block larger than the
// matrix, ratio too large, wrong output width, ...) and for a model whose training (weights,
// gradients, optimizer moments, a batch of activations at the larger of train.batch_size and
// train.eval_batch_size) needs more memory than this process may use (memory_limit_bytes), before
// allocating it: named by the layer where the sum passes the limit.
Sequential build_model(const ExperimentConfig& config, const ModelInput& input, Device device = Device::Cpu);

// Activation values (inputs and outputs of every layer) of one sample through the network.
int64_t activation_values_per_sample(const Sequential& net, const Shape& input);
// A batch size given on the command line (eval --batch): InputError naming `key` when it is
// below 1 or a batch of its activations would not fit in memory.
void check_batch_fits(const Sequential& net, const Shape& input, int64_t batch, const std::string& key);

}  // namespace bitblock
