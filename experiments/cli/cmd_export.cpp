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
        ("threads", "CPU threads (0: all cores)", cxxopts::value<int>()->default_value("0"))
        ("limit", "measure the integer-only accuracy on the first N test images only (0: all); large CNNs "
                  "take minutes per thousand images on one core",
         cxxopts::value<int64_t>()->default_value("0"));
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("checkpoint")) fail_input("--checkpoint", "missing");
    if (!args.count("out")) fail_input("--out", "missing (e.g. --out model.bbm)");
    const std::string path = args["checkpoint"].as<std::string>();
    const std::string out = args["out"].as<std::string>();
    set_threads(args["threads"].as<int>());
    const int64_t limit = args["limit"].as<int64_t>();
    if (limit < 0) fail_input("--limit", "must be >= 0");
    RestoredRun run = restore_run(path, args["data-dir"].as<std::string>());
    Dataset& test = run.data.test;
    if (limit > 0 && limit < test.size()) {
      test.images.resize(static_cast<size_t>(limit * test.sample_size()));
      test.labels.resize(static_cast<size_t>(limit));
    }
    const nlohmann::json meta = {{"name", run.config.name}, {"config", run.checkpoint.config_yaml},
                                 {"checkpoint", path}, {"epochs_trained", run.checkpoint.history.size()}};
    ExportOutcome r = export_model_file(run.net, run.config, test, meta, out);
    if (!r.written) fail_input(path, "cannot export: " + r.reason);
    std::printf("%s: %lld bytes, integer-only test accuracy %.2f%% (%lld test images)\n", out.c_str(),
                static_cast<long long>(r.file_bytes), 100.0 * r.integer_accuracy, static_cast<long long>(test.size()));
    return 0;
  });
}

}  // namespace bitblock::cli
