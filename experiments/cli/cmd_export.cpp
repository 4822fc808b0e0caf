// bitblock export: a training checkpoint or a model file -> the integer model file (.bbm), ONNX
// (bit-exact in ONNX Runtime) or QONNX (FINN / hls4ml), with the integer-only accuracy.
#include <cstdio>
#include <filesystem>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/export.hpp"
#include "bitblock/framework/trainer.hpp"
#include "bitblock/interop/onnx_export.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "model_test_set.hpp"

namespace bitblock::cli {

namespace {

enum class OutFormat { Bbm, Onnx, Qonnx };

OutFormat parse_out_format(const std::string& s) {
  if (s == "bbm") return OutFormat::Bbm;
  if (s == "onnx") return OutFormat::Onnx;
  if (s == "qonnx") return OutFormat::Qonnx;
  fail_input("--format", "'" + s + "' is not one of bbm, onnx, qonnx");
}

void truncate_test(Dataset& test, int64_t limit) {
  if (limit > 0 && limit < test.size()) {
    test.images.resize(static_cast<size_t>(limit * test.sample_size()));
    test.labels.resize(static_cast<size_t>(limit));
  }
}

// Writes the network in the format (atomically) and says what was written.
void write_network(const model::Network& net, OutFormat format, const std::string& out, const Dataset& test) {
  if (format == OutFormat::Bbm) {
    model::save_model({net, 0}, out);
  } else {
    interop::save_onnx(net, format == OutFormat::Onnx ? interop::Format::Onnx : interop::Format::Qonnx, out);
  }
  const model::InferenceResult r = model::run_inference(net, test.images.data(), test.size());
  std::printf("%s: %lld bytes, integer-only test accuracy %.2f%% (%lld test images)\n", out.c_str(),
              static_cast<long long>(std::filesystem::file_size(out)), 100.0 * model::accuracy(r.classes, test.labels.data()),
              static_cast<long long>(test.size()));
}

}  // namespace

int cmd_export(int argc, char** argv) {
  return guarded("export", [&] {
    cxxopts::Options options("bitblock export",
                             "Write a training checkpoint or a model file as a model file (.bbm), ONNX or QONNX");
    options.add_options()
        ("checkpoint", "checkpoint file (runs/<name>/checkpoint.bbc)", cxxopts::value<std::string>())
        ("model", "model file (.bbm) to convert instead of a checkpoint", cxxopts::value<std::string>())
        ("format", "bbm | onnx (standard ops, bit-exact in ONNX Runtime) | qonnx (FINN / hls4ml)",
         cxxopts::value<std::string>()->default_value("bbm"))
        ("out", "file to write (atomically)", cxxopts::value<std::string>())
        ("data-dir", "folder holding the data sets (integer accuracy is measured on the test set)",
         cxxopts::value<std::string>()->default_value("data"))
        ("threads", "CPU threads (0: all cores)", cxxopts::value<int>()->default_value("0"))
        ("limit", "measure the integer-only accuracy on the first N test images only (0: all); large CNNs "
                  "take minutes per thousand images on one core",
         cxxopts::value<int64_t>()->default_value("0"));
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (args.count("checkpoint") == args.count("model")) fail_input("--checkpoint / --model", "give exactly one of them");
    if (!args.count("out")) fail_input("--out", "missing (e.g. --out model.bbm)");
    const OutFormat format = parse_out_format(args["format"].as<std::string>());
    const std::string out = args["out"].as<std::string>();
    set_threads(args["threads"].as<int>());
    const int64_t limit = args["limit"].as<int64_t>();
    if (limit < 0) fail_input("--limit", "must be >= 0");
    if (args.count("model")) {
      const std::string path = args["model"].as<std::string>();
      const model::ModelFile mf = model::load_model(path);
      Dataset test = model_test_set(mf.network, "", args["data-dir"].as<std::string>(), path);
      truncate_test(test, limit);
      write_network(mf.network, format, out, test);
      return 0;
    }
    const std::string path = args["checkpoint"].as<std::string>();
    RestoredRun run = restore_run(path, args["data-dir"].as<std::string>());
    Dataset& test = run.data.test;
    truncate_test(test, limit);
    const nlohmann::json meta = {{"name", run.config.name}, {"config", run.checkpoint.config_yaml},
                                 {"checkpoint", path}, {"epochs_trained", run.checkpoint.history.size()}};
    const ModelInput input{{test.channels, test.height, test.width}, test.num_classes};
    model::Network net;
    try {
      net = export_network(run.net, run.config, input, meta, path);
    } catch (const InputError& e) {
      fail_input(path, std::string("cannot export: ") + e.what());
    }
    write_network(net, format, out, test);
    return 0;
  });
}

}  // namespace bitblock::cli
