// bitblock eval: test accuracy of a checkpoint (float forward pass with the trained constraints).
#include <cstdio>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/trainer.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace bitblock::cli {

int cmd_eval(int argc, char** argv) {
  if (has_flag(argc, argv, "model")) return cmd_eval_model(argc, argv);
  return guarded("eval", [&] {
    cxxopts::Options options("bitblock eval", "Evaluate a training checkpoint on the test set");
    options.add_options()
        ("checkpoint", "checkpoint file (runs/<name>/checkpoint.bbc); use --model m.bbm for integer inference on a model file", cxxopts::value<std::string>())
        ("data-dir", "folder holding the data sets", cxxopts::value<std::string>()->default_value("data"))
        ("threads", "CPU threads (0: all cores)", cxxopts::value<int>()->default_value("0"))
        ("device", "cpu | cuda | auto: where to evaluate", cxxopts::value<std::string>()->default_value("cpu"))
        ("batch", "evaluation batch size", cxxopts::value<int>()->default_value("1000"));
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("checkpoint")) fail_input("--checkpoint", "missing");
    const std::string path = args["checkpoint"].as<std::string>();
    const int batch = args["batch"].as<int>();
    if (batch < 1) fail_input("--batch", std::to_string(batch) + " is not a batch size (must be >= 1)");
    if (args["threads"].as<int>() < 0) fail_input("--threads", "must be >= 0");
    set_threads(args["threads"].as<int>());
    std::string note;
    const Device device = resolve_device(parse_device(args["device"].as<std::string>(), "--device"), "--device", &note);
    if (!note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
    RestoredRun run = restore_run(path, args["data-dir"].as<std::string>(), device);
    const Dataset& test = run.data.test;
    check_batch_fits(run.net, {test.channels, test.height, test.width}, batch, "--batch");
    EvalResult r = evaluate(run.net, test, run.config, batch);
    std::printf("%s: %s test set, %lld images: accuracy %.2f%%, loss %.4f (checkpoint after %zu epochs)\n",
                path.c_str(), to_string(run.config.dataset), static_cast<long long>(r.samples), 100.0 * r.accuracy, r.loss,
                run.checkpoint.history.size());
    return 0;
  });
}

}  // namespace bitblock::cli
