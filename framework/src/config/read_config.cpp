// The config reader: YAML text and --set overrides -> one validated ExperimentConfig, every name
// parsed into its enum here (the key named in each error).
#include "bitblock/framework/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <sstream>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/names.hpp"
#include "config/map_reader.hpp"
#include "config/set_override.hpp"

namespace bitblock {

namespace {

using detail::MapReader;

ConstraintOverride read_constraint(const YAML::Node& node, const std::string& path, const std::string& source) {
  ConstraintOverride c;
  MapReader r(node, path, source);
  r.get("weight_bits", c.weight_bits);
  auto name = [&](const char* key) {
    std::string v;
    r.get(key, v);
    return v;
  };
  if (r.has("scale")) c.scale = parse_scale_mode(name("scale"), source + ": key '" + r.key_path("scale") + "'");
  if (r.has("structure")) c.structure = model::parse_sparsity(name("structure"), source + ": key '" + r.key_path("structure") + "'");
  if (r.has("block")) {
    YAML::Node b = r.node("block");
    try {
      if (b.IsScalar()) {
        r.check_decimal(b, r.key_path("block"));
        c.block_rows = c.block_cols = b.as<int>();
      } else if (b.IsSequence() && b.size() == 2) {
        r.check_decimal(b[0], r.key_path("block"));
        r.check_decimal(b[1], r.key_path("block"));
        c.block_rows = b[0].as<int>();
        c.block_cols = b[1].as<int>();
      } else {
        r.fail(r.key_path("block"), "expected N or [rows, cols]");
      }
    } catch (const YAML::Exception&) {
      r.fail(r.key_path("block"), "expected N or [rows, cols] of integers");
    }
  }
  r.get("ratio", c.ratio);
  if (r.has("selection"))
    c.selection = parse_selection(name("selection"), source + ": key '" + r.key_path("selection") + "'");
  if (r.has("prune")) {
    YAML::Node p = r.node("prune");
    if (!p.IsSequence() || p.size() != 2) r.fail(r.key_path("prune"), "expected [start_epoch, end_epoch]");
    r.check_decimal(p[0], r.key_path("prune"));
    r.check_decimal(p[1], r.key_path("prune"));
    try {
      c.prune_start_epoch = p[0].as<int>();
      c.prune_end_epoch = p[1].as<int>();
    } catch (const YAML::Exception&) {
      r.fail(r.key_path("prune"), "expected [start_epoch, end_epoch] of integers");
    }
  }
  r.get("clip", c.clip);
  r.finish();
  return c;
}

LayerConfig read_layer(const YAML::Node& node, const std::string& path, const std::string& source) {
  LayerConfig l;
  MapReader r(node, path, source);
  if (!r.has("type")) r.fail(path + ".type", "missing (" + name_list(kLayerTypeNames) + ")");
  r.get("type", kLayerTypeNames, l.type);
  if (l.has_weights()) {
    if (!r.has("out")) r.fail(r.key_path("out"), "missing (output features / channels)");
    r.get("out", l.out);
    if (l.out < 1) r.fail(r.key_path("out"), "must be >= 1");
    r.get("bias", l.bias);
    if (r.has("constraint")) l.constraint = read_constraint(r.node("constraint"), r.key_path("constraint"), source);
  }
  if (l.type == LayerType::Conv || l.type == LayerType::MaxPool) {
    l.kernel = l.type == LayerType::MaxPool ? 2 : 3;
    l.stride = l.type == LayerType::MaxPool ? 2 : 1;
    r.get("kernel", l.kernel);
    r.get("stride", l.stride);
    if (l.kernel < 1) r.fail(r.key_path("kernel"), "must be >= 1");
    if (l.stride < 1) r.fail(r.key_path("stride"), "must be >= 1");
  }
  if (l.type == LayerType::Conv) {
    r.get("padding", l.padding);
    if (l.padding < 0) r.fail(r.key_path("padding"), "must be >= 0");
  }
  if (l.type == LayerType::Act) {
    r.get("fn", kActFnNames, l.fn);
    r.get("bits", l.bits);
    r.get("max", l.max);
    if (l.fn == ActFn::Sign) {
      if (r.has("bits") && l.bits != 1) r.fail(r.key_path("bits"), "sign activations have 1 bit");
      l.bits = 1;
    } else if (!(l.bits == 32 || (l.bits >= 2 && l.bits <= 8))) {
      r.fail(r.key_path("bits"), std::to_string(l.bits) + " is not 2..8 or 32 (use fn: sign for 1 bit)");
    }
    if (!(l.max > 0.0f) || !std::isfinite(l.max)) r.fail(r.key_path("max"), "must be a positive number");
  }
  if (l.type == LayerType::Dropout) {
    r.get("p", l.p);
    if (!(l.p >= 0.0f && l.p < 1.0f)) r.fail(r.key_path("p"), "must be in [0, 1)");
  }
  r.finish();
  return l;
}

constexpr double kMaxNormMean = 1e3, kMinNormStd = 1e-3, kMaxNormStd = 1e3;

std::string number_text(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// The key whose prune window a weight layer's resolved constraint took (the last one applied).
std::string prune_key(const ExperimentConfig& c, int weight_layer, int num_weight, const LayerConfig& l, size_t i) {
  if (l.constraint.prune_end_epoch) return "model.layers[" + std::to_string(i) + "].constraint.prune";
  if (weight_layer == num_weight - 1 && c.constraint_last.prune_end_epoch) return "constraints.last.prune";
  if (weight_layer == 0 && c.constraint_first.prune_end_epoch) return "constraints.first.prune";
  return "constraints.default.prune";
}


}  // namespace

void ConstraintOverride::apply_to(ConstraintSpec& spec) const {
  if (weight_bits) spec.weight_bits = *weight_bits;
  if (scale) spec.scale = *scale;
  if (structure) spec.structure = *structure;
  if (block_rows) spec.block_rows = *block_rows;
  if (block_cols) spec.block_cols = *block_cols;
  if (ratio) spec.ratio = *ratio;
  if (selection) spec.selection = *selection;
  if (prune_start_epoch) spec.prune_start_epoch = *prune_start_epoch;
  if (prune_end_epoch) spec.prune_end_epoch = *prune_end_epoch;
  if (clip) spec.clip = *clip;
}

ExperimentConfig parse_config(const std::string& yaml_text, const std::string& source,
                              const std::vector<std::string>& overrides) {
  YAML::Node root = parse_yaml_document(yaml_text, source);
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) fail_input(source, "expected a map at the top level");
  for (const std::string& o : overrides) detail::apply_override(root, o);
  if (!overrides.empty()) check_yaml_document(root, source + " with the --set overrides");

  ExperimentConfig c;
  c.source = source;
  MapReader top(root, "", c.source);
  top.get("name", c.name);
  // The name is the default run folder (runs/<name>): one folder name, never a path.
  if (const std::string problem = folder_name_problem(c.name); !c.name.empty() && !problem.empty())
    top.fail("name", "'" + printable(c.name) + "' " + problem);
  top.get("seed", c.seed);

  MapReader data(top.node("data"), "data", c.source);
  data.get("set", kDatasetNames, c.dataset);
  {
    MapReader norm(data.node("normalize"), "data.normalize", c.source);
    // Read as double and range-checked before the float conversion: 1e-300 would become 0 and
    // 1e300 infinity, and 1e-45 (a float) makes every pixel infinite. Pixels are scaled to 0..1
    // first, so these bounds keep normalized pixels within +-1e6.
    double mean = c.norm_mean, std_dev = c.norm_std;
    norm.get("mean", mean);
    norm.get("std", std_dev);
    if (!(std::fabs(mean) <= kMaxNormMean))
      norm.fail("data.normalize.mean", "must be a finite number in -1000 .. 1000, got " + number_text(mean) +
                                           " (pixels are scaled to 0..1 before the mean is subtracted)");
    if (!(std_dev >= kMinNormStd && std_dev <= kMaxNormStd))
      norm.fail("data.normalize.std", "must be a finite number in 0.001 .. 1000, got " + number_text(std_dev) +
                                          " (pixels are scaled to 0..1 before the division; e.g. 0.3081 for MNIST)");
    c.norm_mean = static_cast<float>(mean);
    c.norm_std = static_cast<float>(std_dev);
    norm.finish();
    MapReader aug(data.node("augment"), "data.augment", c.source);
    aug.get("crop_padding", c.crop_padding);
    aug.get("hflip", c.hflip);
    if (c.crop_padding < 0) aug.fail("data.augment.crop_padding", "must be >= 0");
    aug.finish();
  }
  data.finish();

  MapReader model(top.node("model"), "model", c.source);
  if (!model.has("layers") || !model.node("layers").IsSequence() || model.node("layers").size() == 0)
    model.fail("model.layers", "missing or empty (a list of layers)");
  YAML::Node layers = model.node("layers");
  for (size_t i = 0; i < layers.size(); ++i)
    c.layers.push_back(read_layer(layers[i], "model.layers[" + std::to_string(i) + "]", c.source));
  model.finish();

  MapReader cons(top.node("constraints"), "constraints", c.source);
  if (cons.has("default")) c.constraint_default = read_constraint(cons.node("default"), "constraints.default", c.source);
  if (cons.has("first")) c.constraint_first = read_constraint(cons.node("first"), "constraints.first", c.source);
  if (cons.has("last")) c.constraint_last = read_constraint(cons.node("last"), "constraints.last", c.source);
  cons.finish();

  MapReader train(top.node("train"), "train", c.source);
  train.get("epochs", c.epochs);
  train.get("batch_size", c.batch_size);
  train.get("eval_batch_size", c.eval_batch_size);
  // The names are read here and checked after the numbers, in the order the keys' messages had.
  std::string loss = to_string(c.loss), kernels = to_string(c.kernels), device = to_string(c.device);
  train.get("loss", loss);
  train.get("log_every", c.log_every);
  train.get("kernels", kernels);
  train.get("device", device);
  if (c.epochs < 1) train.fail("train.epochs", "must be >= 1");
  if (c.batch_size < 1) train.fail("train.batch_size", "must be >= 1");
  if (c.eval_batch_size < 1) train.fail("train.eval_batch_size", "must be >= 1");
  if (c.log_every < 1) train.fail("train.log_every", "must be >= 1");
  c.loss = train.parse("loss", loss, kLossNames);
  c.kernels = train.parse("kernels", kernels, kKernelChoiceNames);
  c.device = train.parse("device", device, kDeviceRequestNames);
  {
    MapReader opt(train.node("optimizer"), "train.optimizer", c.source);
    OptimizerConfig& o = c.optimizer;
    opt.get("type", kOptimizerNames, o.type);
    opt.get("lr", o.lr);
    opt.get("momentum", o.momentum);
    opt.get("nesterov", o.nesterov);
    opt.get("weight_decay", o.weight_decay);
    opt.get("beta1", o.beta1);
    opt.get("beta2", o.beta2);
    opt.get("eps", o.eps);
    if (!(o.lr > 0.0) || !std::isfinite(o.lr)) opt.fail("train.optimizer.lr", "must be a positive number");
    if (!(o.weight_decay >= 0.0) || !std::isfinite(o.weight_decay))
      opt.fail("train.optimizer.weight_decay", "must be a finite number >= 0");
    if (!(o.momentum >= 0.0 && o.momentum < 1.0)) opt.fail("train.optimizer.momentum", "must be in [0, 1)");
    if (!std::isfinite(o.eps)) opt.fail("train.optimizer.eps", "must be a finite number");
    opt.finish();
    MapReader sch(train.node("schedule"), "train.schedule", c.source);
    ScheduleConfig& s = c.schedule;
    sch.get("type", kScheduleNames, s.type);
    sch.get("step_size", s.step_size);
    sch.get("gamma", s.gamma);
    sch.get("min_lr", s.min_lr);
    if (s.step_size < 1) sch.fail("train.schedule.step_size", "must be >= 1");
    if (!(s.gamma > 0.0) || !std::isfinite(s.gamma)) sch.fail("train.schedule.gamma", "must be a finite number > 0");
    if (!std::isfinite(s.min_lr)) sch.fail("train.schedule.min_lr", "must be a finite number");
    if (s.min_lr > c.optimizer.lr)
      sch.fail("train.schedule.min_lr", number_text(s.min_lr) + " is above train.optimizer.lr " +
                                           number_text(c.optimizer.lr) + " (the schedule would raise the rate)");
    sch.finish();
  }
  train.finish();
  // The optimizer's and schedule's own checks, here so that summary and sweep validation reject
  // what train would (momentum, betas, eps, Nesterov without momentum, step size, gamma, ...).
  optimizer_settings(c);
  schedule_settings(c);

  MapReader hw(top.node("hwsim"), "hwsim", c.source);
  hw.get("arch", c.hwsim_arch);
  hw.finish();
  top.finish();

  int num_weight = 0;
  for (const LayerConfig& l : c.layers) num_weight += l.has_weights();
  if (num_weight == 0) fail_input(c.source, "key 'model.layers': no linear or conv layer");
  // Validate every weight layer's resolved constraint on its own, on a matrix large enough that no
  // shape check fires (those need the data set dims and happen when the model is built).
  constexpr int64_t kAnyDim = int64_t{1} << 20;
  int weight_index = 0;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const LayerConfig& l = c.layers[i];
    if (!l.has_weights()) continue;
    const ConstraintSpec spec = resolve_constraint(c, weight_index, num_weight, l);
    validate_constraint(spec, kAnyDim, kAnyDim, c.source + ": key model.layers[" + std::to_string(i) + "].constraint");
    // Epochs are numbered from 0 and the target ratio holds from the window's end on: an end at
    // or past train.epochs would never reach it (the run and its model file keep more weights).
    if (spec.selection == Selection::Magnitude && spec.ratio > 1.0 && spec.prune_end_epoch >= c.epochs)
      fail_input(c.source, "key '" + prune_key(c, weight_index, num_weight, l, i) + "': the window ends at epoch " +
                               std::to_string(spec.prune_end_epoch) + ", but train.epochs " + std::to_string(c.epochs) +
                               " runs epochs 0.." + std::to_string(c.epochs - 1) +
                               " (the ratio is reached from the end epoch on; end it before " + std::to_string(c.epochs) +
                               " or train longer)");
    ++weight_index;
  }
  return c;
}

ExperimentConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  const std::string text = read_file(path);
  return read_boundary(path, [&] { return parse_config(text, path, overrides); });
}


OptimizerSettings optimizer_settings(const ExperimentConfig& c) {
  OptimizerSettings s;
  s.kind = c.optimizer.type;
  s.momentum = c.optimizer.momentum;
  s.nesterov = c.optimizer.nesterov;
  s.weight_decay = c.optimizer.weight_decay;
  s.beta1 = c.optimizer.beta1;
  s.beta2 = c.optimizer.beta2;
  s.eps = c.optimizer.eps;
  validate_optimizer(s, c.source + ": key 'train.optimizer'");
  return s;
}

ScheduleSettings schedule_settings(const ExperimentConfig& c) {
  ScheduleSettings s;
  s.kind = c.schedule.type;
  s.step_size = c.schedule.step_size;
  s.gamma = c.schedule.gamma;
  s.min_lr = c.schedule.min_lr;
  s.total_epochs = c.epochs;
  validate_schedule(s, c.source + ": key 'train.schedule'");
  return s;
}

ConstraintSpec resolve_constraint(const ExperimentConfig& config, int weight_layer, int num_weight_layers,
                                  const LayerConfig& layer) {
  ConstraintSpec spec;
  config.constraint_default.apply_to(spec);
  if (weight_layer == 0) config.constraint_first.apply_to(spec);
  if (weight_layer == num_weight_layers - 1) config.constraint_last.apply_to(spec);
  layer.constraint.apply_to(spec);
  return spec;
}

}  // namespace bitblock
