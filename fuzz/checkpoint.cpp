// Checkpoints: parse, then everything `train --resume`, `eval` and `export` check before they use
// one (its config, position, tensor shapes and masks against a network built from that config).
#include <cstdint>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/trainer.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  try {
    const Checkpoint c = parse_checkpoint(fuzz::as_string(data, size), "fuzz.bbc");
    const ExperimentConfig config = parse_config(c.config_yaml, "fuzz.bbc");
    if (!fuzz::small_network(config)) return 0;
    check_position(c, config.epochs, 300, config.batch_size, "fuzz.bbc");
    Sequential net = build_model(config, dataset_input(config.dataset));
    Optimizer optimizer(optimizer_settings(config), net.params());
    restore_state(net, &optimizer, c, "fuzz.bbc");
  } catch (const InputError&) {
  }
  return 0;
}
