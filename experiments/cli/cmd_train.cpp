// bitblock train: one training run from a YAML config.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/trainer.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace bitblock::cli {

namespace {
volatile std::sig_atomic_t g_signal = SIGINT;

// SIGINT (Ctrl-C) and SIGTERM (timeout, Slurm, kill) alike: checkpoint after the batch, then exit
// 128 + the signal. A second one of either ends the process at once.
extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
  request_interrupt();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}
}  // namespace

int cmd_train(int argc, char** argv) {
  return guarded("train", [&] {
    cxxopts::Options options("bitblock train", "Train a network under weight precision + sparsity constraints");
    options.add_options()
        ("c,config", "experiment config (YAML), e.g. experiments/configs/mnist_mlp_3b_8x.yaml", cxxopts::value<std::string>())
        ("set", "override a config key: --set train.epochs=5 (repeatable)", cxxopts::value<std::vector<std::string>>())
        ("seed", "random seed (overrides the config's)", cxxopts::value<uint64_t>())
        ("threads", "CPU threads (0: all cores)", cxxopts::value<int>()->default_value("0"))
        ("device", "cpu | cuda | auto: where to train (default: the config's train.device, auto = a usable GPU, else the CPU)", cxxopts::value<std::string>())
        ("data-dir", "folder holding the data sets", cxxopts::value<std::string>()->default_value("data"))
        ("out", "run folder (default runs/<name>)", cxxopts::value<std::string>())
        ("resume", "continue the run in <out> from its checkpoint.bbc (same settings; a new run when there is none)")
        ("restart", "start over in a folder that holds a run, removing its results")
        ("quiet", "no progress lines on stdout (the run log is still written)");
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;

    TrainOptions opt;
    opt.data_dir = args["data-dir"].as<std::string>();
    opt.threads = args["threads"].as<int>();
    if (args.count("resume") && args.count("restart")) fail_input("--resume", "and --restart exclude each other");
    opt.start = args.count("resume") ? RunStart::Resume : args.count("restart") ? RunStart::Restart : RunStart::New;
    opt.quiet = args.count("quiet") > 0;
    if (args.count("out")) opt.out_dir = args["out"].as<std::string>();
    if (args.count("device")) opt.device = args["device"].as<std::string>();

    std::vector<std::string> overrides = config_overrides(args);
    if (args.count("seed")) overrides.push_back("seed=" + std::to_string(args["seed"].as<uint64_t>()));
    if (!args.count("config")) fail_input("--config", "missing (a YAML file, see experiments/configs/)");
    ExperimentConfig config = load_config(args["config"].as<std::string>(), overrides);

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    TrainOutcome outcome = train(config, opt);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    switch (outcome.status) {
      case TrainStatus::Finished: return 0;
      case TrainStatus::Interrupted: return 128 + static_cast<int>(g_signal);
      case TrainStatus::Diverged: return 3;
    }
    return 1;
  });
}

}  // namespace bitblock::cli
