#include "train/finish_run.hpp"

#include <cstdio>

namespace bitblock {

void finish_run(Sequential& net, const ExperimentConfig& config, const ModelInput& input, const DataSplits& data,
                const std::string& dir, RunLog& log, TrainOutcome& outcome) {
  const bool on_host = net.device() == Device::Cpu;
  Sequential host_net = on_host ? Sequential() : host_copy(net, config, input);
  Sequential& final_net = on_host ? net : host_net;
  const Shape sample{data.train.channels, data.train.height, data.train.width};
  outcome.memory = memory_report(final_net, sample);
  log.line("\nweight memory (" + config.name + "):\n" + format_memory_report(outcome.memory));
  const nlohmann::json meta = {{"name", config.name}, {"config", to_yaml(config)}, {"epochs", config.epochs},
                               {"seed", config.seed},
                               {"test_acc", outcome.history.empty() ? 0.0 : outcome.history.back().test_acc}};
  outcome.exported = export_model_file(final_net, config, data.test, meta, dir + "/model.bbm");
  if (outcome.exported.written) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "model file %s/model.bbm (%lld bytes): integer-only test accuracy %.2f%% (float %.2f%%)",
                  dir.c_str(), static_cast<long long>(outcome.exported.file_bytes),
                  100.0 * outcome.exported.integer_accuracy,
                  outcome.history.empty() ? 0.0 : 100.0 * outcome.history.back().test_acc);
    log.line(buf);
  } else {
    log.line("no model file: " + outcome.exported.reason);
  }
  write_summary_json(dir + "/summary.json", config, outcome.history, outcome.memory, outcome.exported);
}

}  // namespace bitblock
