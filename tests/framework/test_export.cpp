// Exporter: a trained tiny quantized network, turned into the integer-only model, classifies the
// test images like the float forward pass does (eval mode, same constraints), for several layer
// kinds and input modes; networks that cannot run integer-only are refused with the reason.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/export.hpp"
#include "bitblock/framework/trainer.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock {
namespace {

using testing_support::TempDir;
using testing_support::tiny_mlp_yaml;

class Export : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_unique<TempDir>("export_data");
    testing_support::write_tiny_mnist(data_->path, 300, 400);
    splits_ = std::make_unique<DataSplits>(load_dataset(DatasetId::Mnist, data_->path));
  }
  static void TearDownTestSuite() {
    splits_.reset();
    data_.reset();
  }
  static const Dataset& test_set() { return splits_->test; }

  // Trains the config for its epochs and returns the network restored from the checkpoint.
  static Sequential trained(const ExperimentConfig& cfg, const TempDir& out) {
    TrainOptions o;
    o.data_dir = data_->path;
    o.out_dir = out.path;
    o.quiet = true;
    // One thread: this process does not get the CLI's passive OpenMP wait policy, and spinning
    // OpenMP workers next to OpenBLAS threads slow small runs down many times over.
    o.threads = 1;
    TrainOutcome r = train(cfg, o);
    EXPECT_EQ(r.status, TrainStatus::Finished);
    Sequential net = build_model(cfg, input());
    restore_state(net, nullptr, load_checkpoint(out / "checkpoint.bbc"), out / "checkpoint.bbc");
    return net;
  }
  static ModelInput input() { return {{1, 28, 28}, 10}; }

  static std::unique_ptr<TempDir> data_;
  static std::unique_ptr<DataSplits> splits_;
};
std::unique_ptr<TempDir> Export::data_;
std::unique_ptr<DataSplits> Export::splits_;

// Float forward pass in eval mode on the normalised test images: predicted class per image.
std::vector<int32_t> float_classes(Sequential& net, const Dataset& d, const ExperimentConfig& cfg) {
  std::vector<int64_t> idx(static_cast<size_t>(d.size()));
  for (int64_t i = 0; i < d.size(); ++i) idx[static_cast<size_t>(i)] = i;
  std::vector<int32_t> labels(static_cast<size_t>(d.size()));
  Tensor x({d.size(), d.channels, d.height, d.width});
  make_batch(d, idx.data(), d.size(), {cfg.norm_mean, cfg.norm_std}, {}, nullptr, x.data(), labels.data());
  Context ctx;
  ctx.training = false;
  Tensor logits = net.forward(x, ctx);
  const int64_t classes = logits.shape()[1];
  std::vector<int32_t> out(static_cast<size_t>(d.size()));
  for (int64_t i = 0; i < d.size(); ++i) {
    int32_t best = 0;
    for (int64_t k = 1; k < classes; ++k)
      if (logits[i * classes + k] > logits[i * classes + best]) best = static_cast<int32_t>(k);
    out[static_cast<size_t>(i)] = best;
  }
  return out;
}

double accuracy_of(const std::vector<int32_t>& classes, const Dataset& d) {
  int64_t correct = 0;
  for (int64_t i = 0; i < d.size(); ++i) correct += classes[static_cast<size_t>(i)] == d.labels[static_cast<size_t>(i)];
  return double(correct) / double(d.size());
}

struct ExportCase {
  const char* name;
  std::vector<std::string> overrides;
};

class ExportAgreement : public Export, public ::testing::WithParamInterface<ExportCase> {};

TEST_P(ExportAgreement, IntegerInferenceAgreesWithFloatForward) {
  const ExportCase& param = GetParam();
  ExperimentConfig cfg = parse_config(tiny_mlp_yaml(), "tiny.yaml", param.overrides);
  TempDir out("export");
  Sequential net = trained(cfg, out);
  model::Network integer = export_network(net, cfg, input(), {{"test", param.name}}, "tiny export");
  const Dataset& test = test_set();
  model::InferenceResult r = model::run_inference(integer, test.images.data(), test.size());
  std::vector<int32_t> reference = float_classes(net, test, cfg);

  int64_t agree = 0;
  for (int64_t i = 0; i < test.size(); ++i) agree += r.classes[static_cast<size_t>(i)] == reference[static_cast<size_t>(i)];
  EXPECT_GE(double(agree) / double(test.size()), 0.99) << agree << " of " << test.size();
  const double float_acc = accuracy_of(reference, test);
  const double int_acc = accuracy_of(r.classes, test);
  EXPECT_NEAR(int_acc, float_acc, 0.01);
  EXPECT_GT(float_acc, 0.5) << "the network should have learnt something";

  // The run's own model.bbm holds the same integer network: same classes on every image.
  model::ModelFile file = model::load_model(out / "model.bbm");
  model::InferenceResult from_file = model::run_inference(file.network, test.images.data(), test.size());
  EXPECT_EQ(from_file.classes, r.classes);
  EXPECT_EQ(from_file.logits, r.logits);
}

INSTANTIATE_TEST_SUITE_P(
    Networks, ExportAgreement,
    ::testing::Values(
        ExportCase{"relu8_block4bit", {}},
        ExportCase{"centered_input", {"data.normalize={mean: 0.5, std: 0.5}"}},
        ExportCase{"binary_hardtanh3", {"constraints.default={weight_bits: 1, scale: per_row, clip: 1.0}",
                                        "model.layers[3]={type: act, fn: hardtanh, bits: 3}"}},
        ExportCase{"sign_act_2bit_per_layer",
                   {"constraints.default={weight_bits: 2, scale: per_layer, structure: element, ratio: 2}",
                    "model.layers[3]={type: act, fn: sign}", "train.optimizer.lr=0.003"}},
        ExportCase{"conv_pool",
                   {"model.layers[0]={type: conv, out: 4, kernel: 3, padding: 1}", "model.layers[1]={type: batchnorm}",
                    "model.layers[2]={type: act, fn: relu, bits: 4, max: 2.0}", "model.layers[3]={type: maxpool, kernel: 2}",
                    "model.layers[4]={type: flatten}",
                    "constraints.default={weight_bits: 8, scale: per_row, structure: none}"}},
        // 5..7-bit weights (the model file stored no code wider than 4 bits but 8 before).
        ExportCase{"weights5_row_per_layer",
                   {"constraints.default={weight_bits: 5, scale: per_layer, structure: row, ratio: 2}"}},
        ExportCase{"weights6_column", {"constraints.default={weight_bits: 6, structure: column, ratio: 2}"}},
        ExportCase{"weights7_block_magnitude",
                   {"constraints.default={weight_bits: 7, structure: block, block: [4, 4], ratio: 4, "
                    "selection: magnitude, prune: [0, 1]}"}}),
    [](const ::testing::TestParamInfo<ExportCase>& p) { return std::string(p.param.name); });

TEST_F(Export, FloatWeightsAreNotExportableAndSayWhy) {
  ExperimentConfig cfg = parse_config(tiny_mlp_yaml(), "tiny.yaml", {"constraints.default={weight_bits: 32}"});
  Sequential net = build_model(cfg, input());
  testing_support::expect_input_error([&] { export_network(net, cfg, input(), {}, "where.bbm"); },
                                      {"where.bbm", "layer 1", "float (32-bit) weights"});
  TempDir out("export_float");
  ExportOutcome r = export_model_file(net, cfg, test_set(), {}, out / "model.bbm");
  EXPECT_FALSE(r.written);
  EXPECT_NE(r.reason.find("float (32-bit) weights"), std::string::npos) << r.reason;
  EXPECT_FALSE(file_exists(out / "model.bbm"));
}

TEST_F(Export, FloatActivationsAreNotExportable) {
  ExperimentConfig cfg = parse_config(tiny_mlp_yaml(), "tiny.yaml", {"model.layers[3]={type: act, fn: relu}"});
  Sequential net = build_model(cfg, input());
  testing_support::expect_input_error([&] { export_network(net, cfg, input(), {}, "where.bbm"); },
                                      {"where.bbm", "layer 3", "32 bits"});
}

TEST_F(Export, NormalizationMeanOtherThanZeroOrHalfIsRefused) {
  ExperimentConfig cfg = parse_config(tiny_mlp_yaml(), "tiny.yaml", {"data.normalize={mean: 0.1307, std: 0.3081}"});
  Sequential net = build_model(cfg, input());
  TempDir out("export_mean");
  ExportOutcome r = export_model_file(net, cfg, test_set(), {}, out / "model.bbm");
  EXPECT_FALSE(r.written);
  EXPECT_NE(r.reason.find("data.normalize.mean"), std::string::npos) << r.reason;
  EXPECT_FALSE(file_exists(out / "model.bbm"));
}

TEST_F(Export, MissingActivationBetweenWeightLayersIsRefused) {
  ExperimentConfig cfg = parse_config(tiny_mlp_yaml(), "tiny.yaml", {"model.layers[3]={type: dropout, p: 0.1}"});
  Sequential net = build_model(cfg, input());
  testing_support::expect_input_error([&] { export_network(net, cfg, input(), {}, "where.bbm"); },
                                      {"where.bbm", "activation"});
}

}  // namespace
}  // namespace bitblock
