#pragma once
// Experiment configuration: YAML file + --set overrides -> one validated struct. Unknown keys
// and invalid values are errors (InputError naming the file and the key), never ignored. Names
// (data set, layer type, activation, loss, optimizer, schedule, kernels, device) are parsed here,
// once, into the enums the loaders, the layers and the training loop take; each enum's one name
// table (next to the enum) both parses and prints them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/framework/activation.hpp"
#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/device.hpp"
#include "bitblock/framework/loss.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "bitblock/framework/schedule.hpp"
#include "bitblock/framework/weight_matrix.hpp"

namespace bitblock {

// Partial constraint: only the keys a config section sets; merged default <- first/last <- layer.
struct ConstraintOverride {
  std::optional<int> weight_bits;
  std::optional<ScaleMode> scale;
  std::optional<Structure> structure;
  std::optional<int> block_rows, block_cols;
  std::optional<double> ratio;
  std::optional<Selection> selection;
  std::optional<int> prune_start_epoch, prune_end_epoch;
  std::optional<float> clip;
  void apply_to(ConstraintSpec& spec) const;
};

enum class LayerType { Linear, Conv, BatchNorm, Act, MaxPool, Dropout, Flatten };
// The config's model.layers[i].type spellings.
inline constexpr EnumName<LayerType> kLayerTypeNames[] = {
    {LayerType::Linear, "linear"}, {LayerType::Conv, "conv"},       {LayerType::BatchNorm, "batchnorm"},
    {LayerType::Act, "act"},       {LayerType::MaxPool, "maxpool"}, {LayerType::Dropout, "dropout"},
    {LayerType::Flatten, "flatten"}};
inline const char* to_string(LayerType t) { return name_of(kLayerTypeNames, t); }

struct LayerConfig {
  LayerType type = LayerType::Linear;
  int64_t out = 0;                       // linear: out features; conv: out channels
  int kernel = 3, stride = 1, padding = 0;
  bool bias = true;
  ActFn fn = ActFn::Relu;                // act
  int bits = 32;                         // act: activation bits (1 = sign, 2..8, 32 = float)
  float max = 1.0f;                      // act: clip of unsigned fixed-point relu
  float p = 0.5f;                        // dropout probability
  ConstraintOverride constraint;         // weight layers only
  bool has_weights() const { return type == LayerType::Linear || type == LayerType::Conv; }
};

struct OptimizerConfig {
  OptimizerKind type = OptimizerKind::Adam;
  double lr = 1e-3;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct ScheduleConfig {
  ScheduleKind type = ScheduleKind::Constant;
  int step_size = 10;
  double gamma = 0.1;
  double min_lr = 0.0;
};

struct ExperimentConfig {
  std::string source;                    // file it came from (for messages)
  std::string name;
  uint64_t seed = 1;
  // data
  DatasetId dataset = DatasetId::Mnist;
  float norm_mean = 0.0f, norm_std = 1.0f;
  int crop_padding = 0;
  bool hflip = false;
  // model
  std::vector<LayerConfig> layers;
  ConstraintOverride constraint_default, constraint_first, constraint_last;
  // training
  int epochs = 10;
  int batch_size = 100;
  int eval_batch_size = 1000;
  LossKind loss = LossKind::CrossEntropy;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  int log_every = 100;                   // batches between progress lines
  KernelChoice kernels = KernelChoice::Auto;  // "packed" is read as kept
  DeviceRequest device = DeviceRequest::Auto;  // auto: a usable GPU, else the CPU
  // hardware simulation after training (optional)
  std::string hwsim_arch;
};

// Loads and validates; overrides are "dotted.key=value" applied on the YAML tree before
// validation (value parsed as YAML, so "model.layers[1].out=512" or "x=[8,8]" work).
ExperimentConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
ExperimentConfig parse_config(const std::string& yaml_text, const std::string& source,
                              const std::vector<std::string>& overrides = {});
// The resolved config (every default filled in) as YAML; parse_config(to_yaml(c)) == c.
std::string to_yaml(const ExperimentConfig& config);

// The first setting in which two resolved configs differ, as "<dotted key>: <a> vs <b>" (a
// layer as model.layers[i]...), or "" when they are the same run settings (train.device is not
// one: it says where the run executes).
std::string config_difference(const ExperimentConfig& a, const ExperimentConfig& b);

// The optimizer and schedule a config asks for, validated (InputError naming the key).
OptimizerSettings optimizer_settings(const ExperimentConfig& config);
ScheduleSettings schedule_settings(const ExperimentConfig& config);

// Constraint of the i-th weight layer (0-based) among n weight layers.
ConstraintSpec resolve_constraint(const ExperimentConfig& config, int weight_layer, int num_weight_layers,
                                  const LayerConfig& layer);

}  // namespace bitblock
