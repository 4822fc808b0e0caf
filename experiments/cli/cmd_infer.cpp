// bitblock eval --model / bitblock summary --model: integer-only inference on a .bbm model file
// (the same integers hwsim replays) and its per-stage summary from the file alone.
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/trainer.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"
#include "bitblock/model/summary.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "model_test_set.hpp"

namespace bitblock::cli {

namespace {

// NumPy .npy (format 1.0) of a C-order array.
template <typename T>
std::string npy(const char* descr, const std::vector<int64_t>& shape, const T* data) {
  std::string dims;
  int64_t n = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ",";
    n *= d;
  }
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  const auto len = static_cast<uint16_t>(header.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n) * sizeof(T));
  return out;
}

std::vector<int64_t> dims(const model::Shape& s) { return {s.c, s.h, s.w}; }

std::vector<int64_t> parse_indices(const std::string& text, int64_t limit) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    int64_t v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < 0 || v >= limit)
      fail_input("--images", "'" + item + "' is not an image index in 0.." + std::to_string(limit - 1));
    out.push_back(v);
  }
  if (out.empty()) fail_input("--images", "no indices");
  return out;
}

// cxxopts splits list values at commas: glue "0","1","2" back into "0,1,2".
std::string joined(const cxxopts::ParseResult& args, const char* key) {
  std::string s;
  for (const std::string& piece : args[key].as<std::vector<std::string>>()) s += (s.empty() ? "" : ",") + piece;
  return s;
}

void write_trace(const model::Network& net, const Dataset& test, const std::vector<int64_t>& indices, const std::string& dir) {
  make_dirs(dir);
  std::vector<uint8_t> images;
  for (int64_t i : indices)
    images.insert(images.end(), test.images.begin() + i * test.sample_size(), test.images.begin() + (i + 1) * test.sample_size());
  std::vector<model::StageTrace> trace;
  model::run_inference(net, images.data(), static_cast<int64_t>(indices.size()), &trace);
  for (size_t n = 0; n < indices.size(); ++n) {
    for (size_t k = 0; k < trace.size(); ++k) {
      const model::StageTrace& t = trace[k];
      const std::string base = dir + "/image" + std::to_string(indices[n]) + "_stage" + std::to_string(k);
      const int64_t acc_size = t.acc_shape.size(), out_size = t.out_shape.size();
      write_file_atomic(base + "_acc.npy", npy("<i4", dims(t.acc_shape), t.acc.data() + n * acc_size));
      if (!t.logits.empty()) {
        write_file_atomic(base + "_logits.npy", npy("<i8", dims(t.out_shape), t.logits.data() + n * out_size));
      } else {
        write_file_atomic(base + "_codes.npy", npy("<i2", dims(t.out_shape), t.codes.data() + n * out_size));
      }
    }
  }
  std::printf("trace: %zu images x %zu stages written to %s (image<i>_stage<k>_{acc,codes,logits}.npy)\n", indices.size(),
              trace.size(), dir.c_str());
}

// The integer logits as text, one image per row (what `export --format onnx` must reproduce).
void write_logits(const std::vector<int64_t>& logits, int classes, const std::string& path) {
  std::string text;
  for (size_t i = 0; i < logits.size(); ++i)
    text += std::to_string(logits[i]) + ((i + 1) % static_cast<size_t>(classes) == 0 ? "\n" : ",");
  write_file_atomic(path, text);
}

}  // namespace

Dataset model_test_set(const model::Network& net, const std::string& dataset, const std::string& data_dir,
                       const std::string& model_path) {
  const std::string name = dataset.empty() ? net.dataset : dataset;
  Dataset test =
      load_dataset(parse_dataset(name, dataset.empty() ? model_path + ": field dataset" : "--dataset"), data_dir).test;
  if (test.channels != net.input.c || test.height != net.input.h || test.width != net.input.w)
    fail_input(model_path, "the model takes " + std::to_string(net.input.c) + "x" + std::to_string(net.input.h) + "x" +
                               std::to_string(net.input.w) + " images, data set " + name + " has " +
                               std::to_string(test.channels) + "x" + std::to_string(test.height) + "x" +
                               std::to_string(test.width));
  if (test.num_classes != net.num_classes)
    fail_input(model_path, "the model has " + std::to_string(net.num_classes) + " classes, data set " + name + " has " +
                               std::to_string(test.num_classes));
  return test;
}

int cmd_eval_model(int argc, char** argv) {
  return guarded("eval", [&] {
    cxxopts::Options options("bitblock eval --model", "Integer-only inference of a .bbm model on its test set");
    options.add_options()
        ("model", "model file (.bbm)", cxxopts::value<std::string>())
        ("data-dir", "folder holding the data sets", cxxopts::value<std::string>()->default_value("data"))
        ("dataset", "data set (default: the one named in the model file)", cxxopts::value<std::string>()->default_value(""))
        ("trace", "write per-stage integer outputs (.npy) of --images to this folder", cxxopts::value<std::string>())
        ("images", "test image indices to trace, e.g. 0,1,2", cxxopts::value<std::vector<std::string>>())
        ("logits", "write the integer logits to this file (atomically): one row per test image, comma-separated",
         cxxopts::value<std::string>())
        ("threads", "CPU threads (0: all cores)", cxxopts::value<int>()->default_value("0"))
        ("batch", "images per inference batch", cxxopts::value<int64_t>()->default_value(std::to_string(model::kInferenceBatch)));
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("model")) fail_input("--model", "missing");
    const std::string path = args["model"].as<std::string>();
    const int64_t batch = args["batch"].as<int64_t>();
    if (batch < 1) fail_input("--batch", std::to_string(batch) + " is not a batch size (must be >= 1)");
    if (args["threads"].as<int>() < 0) fail_input("--threads", "must be >= 0");
    set_threads(args["threads"].as<int>());
    const model::ModelFile mf = model::load_model(path);
    check_fits_memory(checked_mul(batch, model::inference_bytes_per_image(mf.network), "--batch", "a batch"), "--batch",
                      "a batch of " + std::to_string(batch) + " images through " + path + " would");
    const Dataset test = model_test_set(mf.network, args["dataset"].as<std::string>(), args["data-dir"].as<std::string>(), path);
    const model::InferenceResult r = model::run_inference(mf.network, test.images.data(), test.size(), nullptr, batch);
    std::printf("%s: %s test set, %lld images: accuracy %.2f%% (integer-only inference)\n", path.c_str(),
                test.name.c_str(), static_cast<long long>(test.size()), 100.0 * model::accuracy(r.classes, test.labels.data()));
    if (args.count("logits")) write_logits(r.logits, mf.network.num_classes, args["logits"].as<std::string>());
    if (args.count("trace")) {
      if (!args.count("images")) fail_input("--trace", "needs --images (e.g. --images 0,1,2)");
      write_trace(mf.network, test, parse_indices(joined(args, "images"), test.size()), args["trace"].as<std::string>());
    }
    return 0;
  });
}

int cmd_summary_model(int argc, char** argv) {
  return guarded("summary", [&] {
    cxxopts::Options options("bitblock summary --model", "Per-stage summary of a .bbm model file");
    options.add_options()
        ("model", "model file (.bbm)", cxxopts::value<std::string>())
        ("json", "print JSON instead of a table");
    cxxopts::ParseResult args;
    if (!parse_or_help(options, argc, argv, args)) return 0;
    if (!args.count("model")) fail_input("--model", "missing");
    const std::string path = args["model"].as<std::string>();
    const model::ModelFile mf = model::load_model(path);
    const model::ModelSummary s = model::summarize(mf.network);
    if (args.count("json")) {
      nlohmann::json j = model::summary_json(s);
      j["file_bytes"] = mf.file_bytes;
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    const model::Network& n = mf.network;
    std::printf("%s: %lld bytes, data set %s, input %dx%dx%d (%s), %d classes, %zu stages\n", path.c_str(),
                static_cast<long long>(mf.file_bytes), n.dataset.c_str(), n.input.c, n.input.h, n.input.w,
                model::to_string(n.input_mode), n.num_classes, n.stages.size());
    std::printf("%s", model::format_summary(s).c_str());
    return 0;
  });
}

}  // namespace bitblock::cli
