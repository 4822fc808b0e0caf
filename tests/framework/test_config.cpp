// Experiment configs: the shipped files build, --set overrides reach every kind of key, unknown
// keys and impossible values are InputErrors naming the file and the key, to_yaml round-trips,
// and constraint sections resolve default <- first/last <- layer. Expected values are the ones
// written in the YAML texts here and in experiments/configs/, not the parser's own output.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bitblock/framework/config.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "framework/tiny_mnist.hpp"
#include "common/alias_bomb.hpp"

namespace bitblock {
namespace {

using testing_support::expect_input_error;
using testing_support::tiny_mlp_yaml;

const std::string kConfigDir = std::string(BITBLOCK_SOURCE_DIR) + "/experiments/configs";

// Parses and builds (constraint checks against the matrix shapes happen in build_model).
ExperimentConfig parse_and_build(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  ExperimentConfig c = parse_config(yaml, "tiny.yaml", overrides);
  build_model(c, dataset_input(c.dataset));
  return c;
}

ConstraintSpec layer_spec(Sequential& net, size_t layer) {
  WeightConstraint* c = net.layer(layer).constraint();
  if (c == nullptr) throw std::runtime_error("layer " + std::to_string(layer) + " has no constraint");
  return c->spec();
}

// Sweep files (top-level `sweep:` key) share the folder; tests/experiments/test_sweep_grid.cpp covers them.
bool is_experiment_config(const std::filesystem::path& p) {
  return p.extension() == ".yaml" && !YAML::LoadFile(p.string())["sweep"];
}

TEST(Config, EveryShippedConfigParsesAndBuilds) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kConfigDir)) {
    if (!is_experiment_config(entry.path())) continue;
    SCOPED_TRACE(entry.path().string());
    ++count;
    ExperimentConfig c = load_config(entry.path().string());
    EXPECT_EQ(c.name, entry.path().stem().string()) << "config name should match its file name";
    EXPECT_EQ(c.source, entry.path().string());
    Sequential net = build_model(c, dataset_input(c.dataset));
    EXPECT_EQ(net.size(), c.layers.size());
    EXPECT_EQ(net.output_shape(dataset_input(c.dataset).shape), (Shape{10}));
  }
  EXPECT_GE(count, 5);
}

// data.set is read once into a DatasetId; an unknown name names the file and the key and lists
// every name the loaders accept.
TEST(Config, DataSetIsParsedOnceIntoItsEnum) {
  EXPECT_EQ(parse_config(tiny_mlp_yaml(), "tiny.yaml", {"data.set=fashion_mnist"}).dataset, DatasetId::FashionMnist);
  EXPECT_EQ(parse_config(tiny_mlp_yaml(), "tiny.yaml", {"data.set=cifar10"}).dataset, DatasetId::Cifar10);
  EXPECT_EQ(parse_config(tiny_mlp_yaml(), "tiny.yaml", {"data.set=mnist"}).dataset, DatasetId::Mnist);
  expect_input_error([] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {"data.set=MNIST"}); },
                     {"tiny.yaml", "key 'data.set'", "'MNIST' is not one of mnist, fashion_mnist, cifar10"});
  // The resolved config writes the name back.
  EXPECT_NE(to_yaml(parse_config(tiny_mlp_yaml(), "tiny.yaml", {"data.set=fashion_mnist"})).find("set: fashion_mnist"),
            std::string::npos);
}

TEST(Config, ShippedPaperConfigHasItsDocumentedValues) {
  ExperimentConfig c = load_config(kConfigDir + "/mnist_mlp_3b_8x.yaml");
  EXPECT_EQ(c.dataset, DatasetId::Mnist);
  ASSERT_EQ(c.layers.size(), 11u);
  EXPECT_EQ(c.layers[1].type, LayerType::Linear);
  EXPECT_EQ(c.layers[1].out, 1024);
  EXPECT_EQ(c.layers[3].bits, 8);
  EXPECT_FLOAT_EQ(c.layers[3].max, 4.0f);
  EXPECT_FLOAT_EQ(c.layers[4].p, 0.2f);
  EXPECT_EQ(c.epochs, 20);
  EXPECT_EQ(c.batch_size, 100);
  EXPECT_EQ(c.optimizer.type, OptimizerKind::Adam);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.002);
  EXPECT_EQ(c.schedule.type, ScheduleKind::Cosine);
  Sequential net = build_model(c, dataset_input(c.dataset));
  for (size_t li : {size_t{1}, size_t{5}}) {
    ConstraintSpec s = layer_spec(net, li);
    EXPECT_EQ(s.weight_bits, 3);
    EXPECT_EQ(s.structure, Structure::Block);
    EXPECT_EQ(s.block_rows, 8);
    EXPECT_EQ(s.block_cols, 8);
    EXPECT_DOUBLE_EQ(s.ratio, 8.0);
    EXPECT_EQ(s.scale, ScaleMode::PerRow);
    EXPECT_EQ(s.selection, Selection::Random);
  }
  ConstraintSpec last = layer_spec(net, 9);
  EXPECT_EQ(last.weight_bits, 3);
  EXPECT_EQ(last.structure, Structure::None);
  EXPECT_DOUBLE_EQ(last.ratio, 1.0);
}

TEST(Config, OverridesReachScalarsNestedKeysListItemsAndFlowLists) {
  ExperimentConfig c = parse_and_build(tiny_mlp_yaml(), {"train.epochs=5", "train.optimizer.lr=0.125", "seed=99",
                                                         "model.layers[1].out=48", "model.layers[3].bits=6",
                                                         "constraints.default.block=[16,16]", "hwsim.arch=small.yaml",
                                                         "data.normalize={mean: 0.5, std: 0.25}"});
  EXPECT_EQ(c.epochs, 5);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.125);
  EXPECT_EQ(c.seed, 99u);
  EXPECT_EQ(c.layers[1].out, 48);
  EXPECT_EQ(c.layers[3].bits, 6);
  EXPECT_EQ(c.hwsim_arch, "small.yaml");
  EXPECT_FLOAT_EQ(c.norm_mean, 0.5f);
  EXPECT_FLOAT_EQ(c.norm_std, 0.25f);
  ASSERT_TRUE(c.constraint_default.block_rows && c.constraint_default.block_cols);
  EXPECT_EQ(*c.constraint_default.block_rows, 16);
  EXPECT_EQ(*c.constraint_default.block_cols, 16);
  // Untouched keys keep the file's values.
  EXPECT_EQ(c.batch_size, 50);
  EXPECT_EQ(c.optimizer.type, OptimizerKind::Adam);
  Sequential net = build_model(c, dataset_input(c.dataset));
  ConstraintSpec s = layer_spec(net, 1);
  EXPECT_EQ(s.block_rows, 16);
  EXPECT_EQ(s.block_cols, 16);
  EXPECT_EQ(net.output_shape({1, 28, 28}), (Shape{10}));
  EXPECT_EQ(net.shapes({1, 28, 28})[2], (Shape{48}));
}

TEST(Config, OverrideErrorsNameTheAssignment) {
  expect_input_error([] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {"train.epochs"}); },
                     {"--set train.epochs", "key=value"});
  expect_input_error([] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {"model.layers[12].out=3"}); },
                     {"--set model.layers[12].out=3", "out of range"});
  expect_input_error([] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {"train.epochs=[1"}); },
                     {"--set train.epochs=[1", "invalid YAML"});
}

TEST(Config, UnknownKeysAnywhereNameTheFileAndTheKeyPath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"colour=blue", "'colour'"},
      {"data.bogus=1", "'data.bogus'"},
      {"data.normalize.median=0", "'data.normalize.median'"},
      {"data.augment.rotate=true", "'data.augment.rotate'"},
      {"model.extra=1", "'model.extra'"},
      {"model.layers[1].outs=3", "'model.layers[1].outs'"},
      {"model.layers[3].out=5", "'model.layers[3].out'"},            // act layers have no width
      {"model.layers[1].constraint.bitz=3", "'model.layers[1].constraint.bitz'"},
      {"constraints.middle={weight_bits: 2}", "'constraints.middle'"},
      {"constraints.default.ratioo=2", "'constraints.default.ratioo'"},
      {"train.optimizer.momentun=0.5", "'train.optimizer.momentun'"},
      {"train.schedule.warmup=3", "'train.schedule.warmup'"},
      {"train.epoch=3", "'train.epoch'"},
      {"hwsim.arc=x.yaml", "'hwsim.arc'"},
  };
  for (const auto& [assignment, key] : cases) {
    SCOPED_TRACE(assignment);
    const std::string& set = assignment;  // C++17 lambdas cannot capture a structured binding (clang)
    expect_input_error([&] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {set}); }, {"tiny.yaml", key, "unknown key"});
  }
  // Straight from the file text as well (no override involved).
  const std::string text = std::string(tiny_mlp_yaml()) + "extra_section: {a: 1}\n";
  expect_input_error([&] { parse_config(text, "/some/dir/run.yaml"); },
                     {"/some/dir/run.yaml", "'extra_section'", "unknown key"});
}

TEST(Config, InvalidValuesNameTheKey) {
  struct Case {
    std::string assignment;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"constraints.default.weight_bits=0", {"model.layers[1].constraint.weight_bits", "0"}},
      {"constraints.default.weight_bits=9", {"model.layers[1].constraint.weight_bits", "9"}},
      {"model.layers[5].constraint={weight_bits: 9}", {"model.layers[5].constraint.weight_bits", "9"}},
      {"constraints.default.ratio=0.5", {"model.layers[1].constraint.ratio", "0.5"}},
      // 784 columns / 8 = 98 blocks per block-row.
      {"constraints.default.ratio=200", {"model.layers[1].constraint.ratio", "200", "98"}},
      {"model.layers[5].constraint={structure: block, block: [16, 16]}",
       {"model.layers[5].constraint.block", "16x16", "10x32"}},
      {"model.layers[4].p=-0.1", {"model.layers[4].p", "[0, 1)"}},
      {"model.layers[4].p=1", {"model.layers[4].p"}},
      {"model.layers[4].type=conv3d", {"model.layers[4].type", "conv3d"}},
      {"model.layers[3].bits=9", {"model.layers[3].bits", "9"}},
      {"model.layers[3].bits=1", {"model.layers[3].bits"}},
      {"model.layers[1].out=0", {"model.layers[1].out"}},
      {"model.layers[5].out=7", {"model.layers", "10 classes"}},
      {"constraints.default.structure=diagonal", {"constraints.default.structure", "diagonal"}},
      {"constraints.default.selection=best", {"constraints.default.selection", "best"}},
      {"constraints.default.block=[8, 8, 8]", {"constraints.default.block"}},
      {"train.epochs=0", {"train.epochs"}},
      {"train.epochs=many", {"train.epochs", "many"}},
      {"train.batch_size=-5", {"train.batch_size"}},
      {"train.optimizer.lr=-1", {"train.optimizer.lr"}},
      {"train.optimizer.type=lion", {"train.optimizer.type", "lion"}},
      {"train.optimizer.momentum=1.5", {"train.optimizer.momentum"}},
      {"train.loss=mse", {"train.loss", "mse"}},
      {"train.device=gpu", {"train.device", "gpu"}},
      {"train.schedule.type=linear", {"train.schedule.type", "linear"}},
      {"data.set=imagenet", {"data.set", "imagenet"}},
      {"data.normalize.std=0", {"data.normalize.std"}},
      // Issue 14: type errors, non-finite numbers, optimizer values only train used to reject, sizes.
      {"constraints.default.scale=[per_row]", {"constraints.default.scale", "cannot read"}},
      {"constraints.default.structure={block: 1}", {"constraints.default.structure", "cannot read"}},
      {"constraints.default.selection=[random]", {"constraints.default.selection"}},
      {"data.normalize.mean=.nan", {"data.normalize.mean", "finite"}},
      {"data.normalize.std=.inf", {"data.normalize.std", "finite"}},
      {"train.optimizer.beta1=1.5", {"train.optimizer", "beta1"}},
      {"train.optimizer.eps=0", {"train.optimizer", "eps"}},
      {"train.optimizer={type: sgd, lr: 0.1, momentum: 0, nesterov: true}", {"train.optimizer", "nesterov"}},
      {"train.schedule.min_lr=-.inf", {"train.schedule.min_lr"}},
      {"model.layers[1].out=3000000000", {"model.layers[1]", "3000000000 x 784 weights", "memory"}},
      {"model.layers[1].out=9223372036854775807", {"model.layers[1]", "too large"}},
      // Issue 22: values that trained to NaN, read as octal, or never took effect.
      {"data.normalize.std=1e-45", {"data.normalize.std", "0.001 .. 1000, got 1e-45"}},
      {"data.normalize.std=1e-300", {"data.normalize.std", "got 1e-300"}},
      {"data.normalize.mean=1e300", {"data.normalize.mean", "got 1e+300"}},
      {"model.layers[1].out=064", {"model.layers[1].out", "'064'", "decimal"}},
      {"seed=0x10", {"seed", "'0x10'"}},
      {"train.schedule.min_lr=0.5", {"train.schedule.min_lr", "0.5 is above train.optimizer.lr 0.01"}},
      {"constraints.default={weight_bits: 4, structure: block, block: [8, 8], ratio: 2, selection: magnitude, prune: [0, 5]}",
       {"constraints.default.prune", "window ends at epoch 5"}},
      {"model.layers[1].constraint={selection: magnitude, prune: [1, 2]}",
       {"model.layers[1].constraint.prune", "ends at epoch 2, but train.epochs 2 runs epochs 0..1"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.assignment);
    std::vector<std::string> fragments = c.fragments;
    fragments.push_back("tiny.yaml");
    try {
      parse_and_build(tiny_mlp_yaml(), {c.assignment});
      ADD_FAILURE() << "accepted";
    } catch (const InputError& e) {
      const std::string what = e.what();
      for (const std::string& f : fragments) EXPECT_NE(what.find(f), std::string::npos) << f << " missing: " << what;
    }
  }
}

TEST(Config, ShapeFreeConstraintValuesAreCheckedWhenParsing) {
  // No data set dims needed, so parse_config itself refuses them (before any data is loaded).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"constraints.default.weight_bits=9", "model.layers[1].constraint.weight_bits"},
      {"constraints.last.weight_bits=0", "model.layers[5].constraint.weight_bits"},
      {"constraints.default.ratio=0.5", "model.layers[1].constraint.ratio"},
      {"constraints.last.ratio=4", "model.layers[5].constraint.ratio"},          // structure none there
      {"constraints.default.clip=-1", "model.layers[1].constraint.clip"},
      {"constraints.first={selection: magnitude, prune: [3, 1]}", "model.layers[1].constraint.prune"},
      {"constraints.default.block=[0, 8]", "model.layers[1].constraint.block"},
  };
  for (const auto& [assignment, key] : cases) {
    SCOPED_TRACE(assignment);
    const std::string& set = assignment;  // C++17 lambdas cannot capture a structured binding (clang)
    expect_input_error([&] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {set}); }, {"tiny.yaml", key});
  }
  // Shape-dependent limits wait for the model: 200 > 98 blocks per block-row only shows there.
  ExperimentConfig c = parse_config(tiny_mlp_yaml(), "tiny.yaml", {"constraints.default.ratio=200"});
  expect_input_error([&] { build_model(c, dataset_input(c.dataset)); }, {"model.layers[1].constraint.ratio"});
}

TEST(Config, BadYamlAndMissingFilesNameTheSource) {
  expect_input_error([] { parse_config("model: {layers: [unclosed\n", "broken.yaml"); }, {"broken.yaml", "YAML"});
  expect_input_error([] { parse_config("- just\n- a list\n", "list.yaml"); }, {"list.yaml", "map"});
  expect_input_error([] { parse_config("name: x\n", "nolayers.yaml"); }, {"nolayers.yaml", "model.layers"});
  expect_input_error([] { load_config("/nonexistent/dir/cfg.yaml"); }, {"/nonexistent/dir/cfg.yaml"});
}

void expect_same_override(const ConstraintOverride& a, const ConstraintOverride& b) {
  EXPECT_EQ(a.weight_bits, b.weight_bits);
  EXPECT_EQ(a.scale, b.scale);
  EXPECT_EQ(a.structure, b.structure);
  EXPECT_EQ(a.block_rows, b.block_rows);
  EXPECT_EQ(a.block_cols, b.block_cols);
  EXPECT_EQ(a.ratio, b.ratio);
  EXPECT_EQ(a.selection, b.selection);
  EXPECT_EQ(a.prune_start_epoch, b.prune_start_epoch);
  EXPECT_EQ(a.prune_end_epoch, b.prune_end_epoch);
  EXPECT_EQ(a.clip, b.clip);
}

void expect_same_config(const ExperimentConfig& a, const ExperimentConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.dataset, b.dataset);
  EXPECT_EQ(a.norm_mean, b.norm_mean);
  EXPECT_EQ(a.norm_std, b.norm_std);
  EXPECT_EQ(a.crop_padding, b.crop_padding);
  EXPECT_EQ(a.hflip, b.hflip);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i));
    const LayerConfig& x = a.layers[i];
    const LayerConfig& y = b.layers[i];
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.out, y.out);
    EXPECT_EQ(x.kernel, y.kernel);
    EXPECT_EQ(x.stride, y.stride);
    EXPECT_EQ(x.padding, y.padding);
    EXPECT_EQ(x.bias, y.bias);
    EXPECT_EQ(x.fn, y.fn);
    EXPECT_EQ(x.bits, y.bits);
    EXPECT_EQ(x.max, y.max);
    EXPECT_EQ(x.p, y.p);
    expect_same_override(x.constraint, y.constraint);
  }
  expect_same_override(a.constraint_default, b.constraint_default);
  expect_same_override(a.constraint_first, b.constraint_first);
  expect_same_override(a.constraint_last, b.constraint_last);
  EXPECT_EQ(a.epochs, b.epochs);
  EXPECT_EQ(a.batch_size, b.batch_size);
  EXPECT_EQ(a.eval_batch_size, b.eval_batch_size);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.optimizer.type, b.optimizer.type);
  EXPECT_EQ(a.optimizer.lr, b.optimizer.lr);
  EXPECT_EQ(a.optimizer.momentum, b.optimizer.momentum);
  EXPECT_EQ(a.optimizer.nesterov, b.optimizer.nesterov);
  EXPECT_EQ(a.optimizer.weight_decay, b.optimizer.weight_decay);
  EXPECT_EQ(a.optimizer.beta1, b.optimizer.beta1);
  EXPECT_EQ(a.optimizer.beta2, b.optimizer.beta2);
  EXPECT_EQ(a.optimizer.eps, b.optimizer.eps);
  EXPECT_EQ(a.schedule.type, b.schedule.type);
  EXPECT_EQ(a.schedule.step_size, b.schedule.step_size);
  EXPECT_EQ(a.schedule.gamma, b.schedule.gamma);
  EXPECT_EQ(a.schedule.min_lr, b.schedule.min_lr);
  EXPECT_EQ(a.log_every, b.log_every);
  EXPECT_EQ(a.kernels, b.kernels);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.hwsim_arch, b.hwsim_arch);
}

TEST(Config, ToYamlRoundTripsEveryShippedConfig) {
  for (const auto& entry : std::filesystem::directory_iterator(kConfigDir)) {
    if (!is_experiment_config(entry.path())) continue;
    SCOPED_TRACE(entry.path().string());
    ExperimentConfig a = load_config(entry.path().string());
    const std::string text = to_yaml(a);
    ExperimentConfig b = parse_config(text, "resolved.yaml");
    expect_same_config(a, b);
    EXPECT_EQ(to_yaml(b), text);
  }
}

TEST(Config, ToYamlKeepsExactValuesAndOddSettings) {
  // Values with no short decimal form, an lr with 16 significant digits, every section set.
  ExperimentConfig a = parse_config(
      tiny_mlp_yaml(), "tiny.yaml",
      {"train.optimizer.lr=0.0123456789012345", "train.optimizer={type: sgd, lr: 0.1, momentum: 0.85, nesterov: true, "
                                                "weight_decay: 0.0005}",
       "train.schedule={type: step, step_size: 3, gamma: 0.3333333333333333, min_lr: 1e-7}",
       "model.layers[1].constraint={weight_bits: 1, clip: 0.7, selection: magnitude, prune: [1, 4], ratio: 4}",
       "train.epochs=5",
       "model.layers[1].bias=false", "data.augment={crop_padding: 2, hflip: true}", "constraints.first={scale: per_layer}",
       "seed=18446744073709551615", "hwsim.arch=hwsim/arch/base.yaml", "train.loss=squared_hinge",
       "train.kernels=dense", "train.device=cpu", "model.layers[3]={type: act, fn: hardtanh, bits: 3}"});
  ExperimentConfig b = parse_config(to_yaml(a), "resolved.yaml");
  expect_same_config(a, b);
  // The values written above, independently of the first parse.
  EXPECT_EQ(b.optimizer.type, OptimizerKind::Sgd);
  EXPECT_EQ(b.optimizer.lr, 0.1);
  EXPECT_EQ(b.optimizer.momentum, 0.85);
  EXPECT_TRUE(b.optimizer.nesterov);
  EXPECT_EQ(b.optimizer.weight_decay, 0.0005);
  EXPECT_EQ(b.schedule.type, ScheduleKind::Step);
  EXPECT_EQ(b.schedule.step_size, 3);
  EXPECT_EQ(b.schedule.gamma, 0.3333333333333333);
  EXPECT_EQ(b.schedule.min_lr, 1e-7);
  EXPECT_EQ(b.seed, 18446744073709551615ull);
  EXPECT_FALSE(b.layers[1].bias);
  EXPECT_EQ(b.layers[1].constraint.weight_bits, 1);
  EXPECT_EQ(b.layers[1].constraint.clip, 0.7f);
  EXPECT_EQ(b.layers[1].constraint.selection, Selection::Magnitude);
  EXPECT_EQ(b.layers[1].constraint.prune_start_epoch, 1);
  EXPECT_EQ(b.layers[1].constraint.prune_end_epoch, 4);
  EXPECT_EQ(b.layers[1].constraint.ratio, 4.0);
  EXPECT_FALSE(b.layers[1].constraint.structure.has_value());
  EXPECT_EQ(b.layers[3].fn, ActFn::Hardtanh);
  EXPECT_EQ(b.layers[3].bits, 3);
  EXPECT_EQ(b.crop_padding, 2);
  EXPECT_TRUE(b.hflip);
  EXPECT_EQ(b.constraint_first.scale, ScaleMode::PerLayer);
  EXPECT_FALSE(b.constraint_first.weight_bits.has_value());
  EXPECT_EQ(b.loss, LossKind::SquaredHinge);
  EXPECT_EQ(b.kernels, KernelChoice::Dense);
  EXPECT_EQ(b.device, DeviceRequest::Cpu);
  EXPECT_EQ(b.hwsim_arch, "hwsim/arch/base.yaml");
  // The lr override was replaced by the later whole-map override.
  ExperimentConfig c = parse_config(to_yaml(parse_config(tiny_mlp_yaml(), "t.yaml", {"train.optimizer.lr=0.0123456789012345"})), "r.yaml");
  EXPECT_EQ(c.optimizer.lr, 0.0123456789012345);
}

const char* kThreeLayerYaml = R"(name: resolve
data: {set: mnist}
model:
  layers:
    - {type: flatten}
    - {type: linear, out: 32, constraint: {weight_bits: 6}}
    - {type: batchnorm}
    - {type: act, fn: relu, bits: 8, max: 4.0}
    - {type: linear, out: 16}
    - {type: batchnorm}
    - {type: act, fn: relu, bits: 8, max: 4.0}
    - {type: linear, out: 10, constraint: {structure: none, ratio: 1}}
constraints:
  default: {weight_bits: 4, scale: per_row, structure: block, block: [4, 4], ratio: 2, clip: 0.5}
  first: {weight_bits: 8, structure: none, ratio: 1}
  last: {weight_bits: 2, scale: per_layer}
)";

TEST(Config, ConstraintResolutionOrderIsDefaultThenFirstOrLastThenLayer) {
  ExperimentConfig c = parse_config(kThreeLayerYaml, "resolve.yaml");
  Sequential net = build_model(c, dataset_input(DatasetId::Mnist));

  // First layer: first overrides default, the layer's own key overrides first.
  ConstraintSpec s0 = layer_spec(net, 1);
  EXPECT_EQ(s0.weight_bits, 6);
  EXPECT_EQ(s0.structure, Structure::None);
  EXPECT_DOUBLE_EQ(s0.ratio, 1.0);
  EXPECT_EQ(s0.scale, ScaleMode::PerRow);
  EXPECT_FLOAT_EQ(s0.clip, 0.5f);

  // Middle layer: the default alone.
  ConstraintSpec s1 = layer_spec(net, 4);
  EXPECT_EQ(s1.weight_bits, 4);
  EXPECT_EQ(s1.structure, Structure::Block);
  EXPECT_EQ(s1.block_rows, 4);
  EXPECT_EQ(s1.block_cols, 4);
  EXPECT_DOUBLE_EQ(s1.ratio, 2.0);
  EXPECT_EQ(s1.scale, ScaleMode::PerRow);

  // Last layer: last's bits and scale, the layer's structure, the default's clip.
  ConstraintSpec s2 = layer_spec(net, 7);
  EXPECT_EQ(s2.weight_bits, 2);
  EXPECT_EQ(s2.scale, ScaleMode::PerLayer);
  EXPECT_EQ(s2.structure, Structure::None);
  EXPECT_DOUBLE_EQ(s2.ratio, 1.0);
  EXPECT_FLOAT_EQ(s2.clip, 0.5f);

  // resolve_constraint gives the same, by weight-layer index.
  EXPECT_EQ(resolve_constraint(c, 0, 3, c.layers[1]).weight_bits, 6);
  EXPECT_EQ(resolve_constraint(c, 1, 3, c.layers[4]).weight_bits, 4);
  EXPECT_EQ(resolve_constraint(c, 2, 3, c.layers[7]).weight_bits, 2);
}

TEST(Config, OneWeightLayerIsBothFirstAndLastAndLastWins) {
  const char* yaml = R"(data: {set: mnist}
model: {layers: [{type: flatten}, {type: linear, out: 10}]}
constraints:
  default: {weight_bits: 4}
  first: {weight_bits: 8, scale: per_layer, clip: 0.25}
  last: {weight_bits: 2}
)";
  ExperimentConfig c = parse_config(yaml, "one.yaml");
  Sequential net = build_model(c, dataset_input(DatasetId::Mnist));
  ConstraintSpec s = layer_spec(net, 1);
  EXPECT_EQ(s.weight_bits, 2);
  EXPECT_EQ(s.scale, ScaleMode::PerLayer);
  EXPECT_FLOAT_EQ(s.clip, 0.25f);
  // Defaults of an unset config: float, no structure.
  ExperimentConfig d = parse_config("model: {layers: [{type: flatten}, {type: linear, out: 10}]}\n", "bare.yaml");
  EXPECT_EQ(d.dataset, DatasetId::Mnist);
  ConstraintSpec bare = resolve_constraint(d, 0, 1, d.layers[1]);
  EXPECT_EQ(bare.weight_bits, 32);
  EXPECT_EQ(bare.structure, Structure::None);
}

TEST(Config, SetThroughAScalarIsAnInputError) {
  // Found by fuzz_config: yaml-cpp threw its own BadSubscript (exit 1) for a key under a scalar.
  const std::string yaml = std::string(tiny_mlp_yaml()) + "hwsim: 00\n";
  expect_input_error([&] { parse_config(yaml, "tiny.yaml", {"hwsim.arch=x.yaml"}); },
                     {"--set hwsim.arch=x.yaml", "'hwsim' is not a map, it has no key 'arch'"});
  expect_input_error([] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {"model.layers[1].out.x=3"}); },
                     {"'model.layers[1].out' is not a map"});
}

TEST(Config, DuplicateKeysDeepNestingAndAliasBombsAreErrors) {
  // yaml-cpp keeps the first of two equal keys: epochs 20 would silently be 2.
  const std::string twice = std::string(tiny_mlp_yaml()) + "  epochs: 20\n";
  expect_input_error([&] { parse_config(twice, "twice.yaml"); }, {"twice.yaml", "key 'epochs' appears twice"});
  std::string deep = std::string(tiny_mlp_yaml()) + "hwsim: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  expect_input_error([&] { parse_config(deep + "\n", "deep.yaml"); }, {"deep.yaml", "nested deeper than 64"});
  const std::string bomb = testing_support::alias_bomb_yaml();
  expect_input_error([&] { parse_config(bomb, "bomb.yaml"); }, {"bomb.yaml", "after expanding aliases"});
  // An override cannot smuggle a deep value or a duplicate key in either.
  expect_input_error([] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {"hwsim={a: 1, a: 2}"}); },
                     {"--set hwsim={a: 1, a: 2}", "appears twice"});
  std::string deep_set = "hwsim.arch=";
  for (int i = 0; i < 70; ++i) deep_set += "[";
  for (int i = 0; i < 70; ++i) deep_set += "]";
  expect_input_error([&] { parse_config(tiny_mlp_yaml(), "tiny.yaml", {deep_set}); }, {"nested deeper"});
}

// Resuming compares run settings: a changed seed or layer width is named; the device is not a
// setting (a run may continue on another device).
TEST(Config, DifferenceNamesTheFirstChangedSettingButNotTheDevice) {
  const ExperimentConfig base = parse_config(tiny_mlp_yaml(), "tiny.yaml");
  EXPECT_EQ(config_difference(base, parse_config(tiny_mlp_yaml(), "other.yaml")), "");
  EXPECT_EQ(config_difference(base, parse_config(tiny_mlp_yaml(), "tiny.yaml", {"train.device=cpu"})), "");
  const std::string seed = config_difference(base, parse_config(tiny_mlp_yaml(), "tiny.yaml", {"seed=99"}));
  EXPECT_NE(seed.find("seed"), std::string::npos) << seed;
  EXPECT_NE(seed.find("99"), std::string::npos) << seed;
}

}  // namespace
}  // namespace bitblock
