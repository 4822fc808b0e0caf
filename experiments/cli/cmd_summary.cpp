// bitblock summary: per-layer weight memory of a config before training.
#include <iostream>
#include <limits>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/memory_report.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace bitblock::cli {

int cmd_summary(int argc, char** argv) {
  if (has_flag(argc, argv, "model")) return cmd_summary_model(argc, argv);
  return guarded("summary", [&] {
    cxxopts::Options options("bitblock summary", "Per-layer weight memory (bits for values, index, scales) and MACs");
    options.add_options()
        ("c,config", "experiment config (YAML)", cxxopts::value<std::string>())
        ("set", "override a config key (repeatable)", cxxopts::value<std::vector<std::string>>())
        ("json", "print JSON instead of the table");
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("config")) fail_input("--config", "missing (a YAML file, see experiments/configs/)");
    std::vector<std::string> overrides = config_overrides(args);
    ExperimentConfig config = load_config(args["config"].as<std::string>(), overrides);
    ModelInput input = dataset_input(config.dataset);
    Sequential net = build_model(config, input);
    // Draw the masks the run will train with: random selection draws its fixed mask; magnitude
    // pruning moves to its final kept fraction (by the initial weights' norms).
    net.begin_epoch(std::numeric_limits<int>::max() / 2);
    MemoryReport report = memory_report(net, input.shape);
    if (args.count("json")) {
      std::cout << to_json(report).dump(2) << std::endl;
    } else {
      std::cout << config.name << " (" << to_string(config.dataset) << ", input " << shape_str(input.shape) << ")\n"
                << format_memory_report(report);
    }
    return 0;
  });
}

}  // namespace bitblock::cli
