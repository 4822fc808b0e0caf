// bitblock export: checkpoint -> integer model file (.bbm), with its integer-only accuracy.
#include <cstdio>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/export.hpp"
#include "bitblock/framework/trainer.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace bitblock::cli {

int cmd_export(int argc, char** argv) {
  return guarded("export", [&] {
    cxxopts::Options options("bitblock export", "Write the integer model file (.bbm) of a training checkpoint");
    options.add_options()
        ("checkpoint", "checkpoint file (runs/<name>/checkpoint.bbc)", cxxopts::value<std::string>())
        ("out", "model file to write", cxxopts::value<std::string>())
        ("data-dir", "folder holding the data sets (integer accuracy is measured on the test set)",
         cxxopts::value<std::string>()->default_value("data"))
        ("threads", "CPU threads (0: all cores)", cxxopts::value<int>()->default_value("0"));
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("checkpoint")) fail_input("--checkpoint", "missing");
    if (!args.count("out")) fail_input("--out", "missing (e.g. --out model.bbm)");
    const std::string path = args["checkpoint"].as<std::string>();
    const std::string out = args["out"].as<std::string>();
    set_threads(args["threads"].as<int>());
    RestoredRun run = restore_run(path, args["data-dir"].as<std::string>());
    const nlohmann::json meta = {{"name", run.config.name}, {"config", run.checkpoint.config_yaml},
                                 {"checkpoint", path}, {"epochs_trained", run.checkpoint.history.size()}};
    ExportOutcome r = export_model_file(run.net, run.config, run.data.test, meta, out);
    if (!r.written) fail_input(path, "cannot export: " + r.reason);
    std::printf("%s: %lld bytes, integer-only test accuracy %.2f%%\n", out.c_str(),
                static_cast<long long>(r.file_bytes), 100.0 * r.integer_accuracy);
    return 0;
  });
}

}  // namespace bitblock::cli
