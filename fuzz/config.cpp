// Experiment configs with --set overrides (input: the YAML text, then NUL-separated
// assignments): what parse_config accepts builds (as `bitblock summary --config` does) and
// survives the to_yaml round trip a checkpoint and --resume rely on.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/memory_report.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitblock;
  std::vector<std::string> in = fuzz::parts(data, size);
  const std::vector<std::string> overrides(in.begin() + 1, in.end());
  try {
    const ExperimentConfig c = parse_config(in[0], "fuzz.yaml", overrides);
    if (config_difference(c, parse_config(to_yaml(c), "fuzz.yaml")) != "") std::abort();
    if (!fuzz::small_network(c)) return 0;
    const ModelInput input = dataset_input(c.dataset);
    Sequential net = build_model(c, input);
    net.begin_epoch(std::numeric_limits<int>::max() / 2);
    format_memory_report(memory_report(net, input.shape));
  } catch (const InputError&) {
  }
  return 0;
}
