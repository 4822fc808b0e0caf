// make_fuzz_seeds <folder>: seed inputs for the fuzz targets, written by the project's own
// writers (a model file by export_network + save_model, checkpoints by collect_state +
// save_checkpoint) and small synthetic data files, into <folder>/<target>/. scripts/fuzz.sh adds
// the repository's configs and hwsim files.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/rng.hpp"
#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/export.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/trainer.hpp"
#include "bitblock/model/model_file.hpp"
#include "framework/tiny_mlp_config.hpp"

namespace {

using namespace bitblock;

// The test suites' tiny MLP (framework/tiny_mlp_config.hpp) and variants.
const char* const kTinyMlp = testing_support::tiny_mlp_yaml();

const std::vector<std::vector<std::string>> kVariants = {
    {},
    {"model.layers[0]={type: conv, out: 4, kernel: 3, stride: 2, padding: 1}", "model.layers[1]={type: batchnorm}",
     "model.layers[2]={type: act, fn: hardtanh, bits: 3}", "model.layers[3]={type: maxpool, kernel: 2}",
     "model.layers[4]={type: flatten}", "constraints.default={weight_bits: 1, structure: element, ratio: 2}"},
    {"constraints.default={weight_bits: 6, scale: per_layer, structure: row, ratio: 2, selection: magnitude, "
     "prune: [0, 1]}",
     "data.normalize={mean: 0.5, std: 0.5}"},
};

std::string gzip(const std::string& bytes) {
  uLongf n = compressBound(static_cast<uLong>(bytes.size())) + 32;
  std::string out(n, '\0');
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

void model_and_checkpoint_seeds(const std::string& dir) {
  for (size_t v = 0; v < kVariants.size(); ++v) {
    const ExperimentConfig config = parse_config(kTinyMlp, "seed.yaml", kVariants[v]);
    const ModelInput input = dataset_input(config.dataset);
    Sequential net = build_model(config, input);
    net.begin_epoch(0);
    const std::string n = std::to_string(v);
    model::save_model({export_network(net, config, input, {{"seed", n}}, "seed"), 0}, dir + "/model_file/tiny" + n + ".bbm");
    Optimizer optimizer(optimizer_settings(config), net.params());
    Checkpoint c;
    c.config_yaml = to_yaml(config);
    collect_state(net, &optimizer, c);
    save_checkpoint(c, dir + "/checkpoint/start" + n + ".bbc");
    // Interrupted after 2 of the 6 batches of epoch 1.
    c.position = {1, 2, 4.5, 60, 100, 0.5, 8};
    c.history = {{1, 0.01, 2.0, 0.5, 1.9, 0.6, 1000.0, 0.3}};
    save_checkpoint(c, dir + "/checkpoint/mid" + n + ".bbc");
    write_file_atomic(dir + "/config/tiny" + n + ".yaml", to_yaml(config));
  }
  std::string with_sets = std::string(kTinyMlp) + '\0' + "train.epochs=3" + '\0' + "constraints.default.block=[4,4]";
  write_file_atomic(dir + "/config/tiny_with_set.yaml", with_sets);
}

void data_seeds(const std::string& dir) {
  Rng rng(5);
  std::string pixels(3 * 28 * 28, '\0');
  for (char& p : pixels) p = static_cast<char>(rng.below(256));
  const std::string images = be32(0x803) + be32(3) + be32(28) + be32(28) + pixels;
  const std::string labels = be32(0x801) + be32(3) + std::string("\x01\x07\x09", 3);
  for (int flags = 0; flags < 4; ++flags) {
    const std::string img = flags & 1 ? gzip(images) : images, lab = flags & 2 ? gzip(labels) : labels;
    const auto n = static_cast<uint32_t>(img.size());
    std::string seed(1, static_cast<char>(flags));
    seed.append(reinterpret_cast<const char*>(&n), 4);
    write_file_atomic(dir + "/idx/split" + std::to_string(flags), seed + img + lab);
  }
  std::string records;
  for (int r = 0; r < 3; ++r) {
    records += static_cast<char>(r * 3);
    for (int i = 0; i < 3072; ++i) records += static_cast<char>(rng.below(256));
  }
  write_file_atomic(dir + "/cifar/three_records.bin", records);
}

// Sweep files over the tiny MLP (sweep_grid: sweep YAML, NUL, base config, NUL, --set ...) and
// results.csv files as the sweep writes them, with quoted cells (results_csv).
void sweep_and_report_seeds(const std::string& dir) {
  const std::string base = std::string("\0", 1) + kTinyMlp;
  write_file_atomic(dir + "/sweep_grid/grid.yaml",
                    "sweep: tinysweep\nbase: base.yaml\nset: {train.epochs: 1}\ngrid:\n"
                    "  constraints.default.weight_bits: [1, 4]\n  constraints.default.ratio: [2, 4]\n" + base);
  write_file_atomic(dir + "/sweep_grid/zip_include.yaml",
                    "sweep: z\nbase: base.yaml\nname: \"{weight_bits}b_{structure}_{ratio}x\"\n"
                    "grid: {constraints.default.weight_bits: [1, 2]}\n"
                    "zip:\n  - {constraints.default.structure: [row, block], constraints.default.block: [[1, 8], [8, 8]]}\n"
                    "include:\n  - {constraints.default.structure: none, constraints.default.ratio: 1}\n"
                    "exclude:\n  - {constraints.default.weight_bits: 2, constraints.default.structure: [row]}\n"
                    "hwsim: {arch: hwsim/arch/small.yaml}\n" + base + std::string("\0", 1) + "train.epochs=2");
  write_file_atomic(dir + "/sweep_grid/seeds.yaml",
                    "sweep: seeds\nbase: base.yaml\ngrid: {seed: [1, 2, 3], constraints.default.ratio: [2]}\n" + base);
  write_file_atomic(dir + "/results_csv/results.csv",
                    "run,constraints.default.weight_bits,constraints.default.structure,seed,test_acc,best_test_acc,"
                    "integer_test_acc,weight_kib,reduction_vs_float32,train_seconds,energy_nj,area_mm2,"
                    "classifications_per_s\n"
                    "1b_block_2x,1,block,1,0.91,0.92,0.91,16.5,62.1,12.5,210.5,0.41,5000\n"
                    "1b_block_2x_s2,1,block,2,0.915,0.92,0.91,16.5,62.1,12.5,210.5,0.41,5000\n"
                    "4b_row_4x,4,row,1,0.95,0.96,,40,25.6,30.1,,,\n"
                    "\"fp \"\"32\"\"\",32,\"none, dense\",1,0.98,0.98,0.98,3136,1,60,900,1.2,1000\n");
  write_file_atomic(dir + "/results_csv/keys_only.csv", "run,hwsim.arch,test_acc,weight_kib\na,small,0.5,1\nb,,0.6,2\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds <folder>\n");
    return 2;
  }
  for (const char* target : {"model_file", "checkpoint", "config", "idx", "cifar", "sweep_grid", "results_csv"})
    std::filesystem::create_directories(std::string(argv[1]) + "/" + target);
  model_and_checkpoint_seeds(argv[1]);
  data_seeds(argv[1]);
  sweep_and_report_seeds(argv[1]);
  return 0;
}
