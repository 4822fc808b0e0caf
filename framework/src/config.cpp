#include "bitblock/framework/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>
#include <sstream>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/names.hpp"

namespace bitblock {

namespace {

// Reads one YAML map, remembering which keys were read, so leftovers are reported as unknown.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, const std::string& source)
      : node_(node), path_(std::move(path)), source_(source) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) fail(path_, "expected a map");
  }
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    fail_input(source_, "key '" + key + "': " + problem);
  }
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool has(const std::string& key) {
    used_.insert(key);
    return node_ && node_.IsMap() && node_[key] && !node_[key].IsNull();
  }
  YAML::Node node(const std::string& key) {
    used_.insert(key);
    return node_[key];
  }
  template <typename T>
  void get(const std::string& key, T& out) {
    if (!has(key)) return;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) check_decimal(node_[key], key_path(key));
    try {
      out = node_[key].as<T>();
    } catch (const YAML::Exception&) {
      fail(key_path(key), "cannot read '" + scalar_text(key) + "' as " + type_name<T>());
    }
  }
  template <typename T>
  void get(const std::string& key, std::optional<T>& out) {
    if (!has(key)) return;
    T value{};
    get(key, value);
    out = value;
  }
  void finish() const {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>();
      if (!used_.count(key)) fail(key_path(key), "unknown key");
    }
  }
  const std::string& source() const { return source_; }
  // YAML 1.2's core schema reads integers in decimal; yaml-cpp follows YAML 1.1, where 064 is
  // octal 52 and 0x40 hex. A leading zero or a base prefix is refused rather than guessed.
  void check_decimal(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) return;
    const std::string& t = n.Scalar();
    const size_t digits = t.empty() || (t[0] != '-' && t[0] != '+') ? 0 : 1;
    if (t.size() > digits + 1 && t[digits] == '0')
      fail(key, "'" + t + "': integers are written in decimal without leading zeros (YAML 1.1 would read 064 as "
                "octal 52)");
  }

 private:
  std::string scalar_text(const std::string& key) const {
    YAML::Emitter e;
    e << YAML::Flow << node_[key];
    return e.c_str();
  }
  template <typename T>
  static const char* type_name() {
    if constexpr (std::is_same_v<T, bool>) return "a boolean";
    else if constexpr (std::is_integral_v<T>) return "an integer";
    else if constexpr (std::is_floating_point_v<T>) return "a number";
    else return "a string";
  }
  YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> used_;
};

void check_one_of(const MapReader& r, const std::string& key, const std::string& value,
                  std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += list.empty() ? a : std::string(", ") + a;
  }
  r.fail(r.key_path(key), "'" + value + "' is not one of " + list);
}

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
  if (r.has("structure")) c.structure = parse_structure(name("structure"), source + ": key '" + r.key_path("structure") + "'");
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
  if (!r.has("type")) r.fail(path + ".type", "missing (linear, conv, batchnorm, act, maxpool, dropout, flatten)");
  r.get("type", l.type);
  check_one_of(r, "type", l.type, {"linear", "conv", "batchnorm", "act", "maxpool", "dropout", "flatten"});
  if (l.type == "linear" || l.type == "conv") {
    if (!r.has("out")) r.fail(r.key_path("out"), "missing (output features / channels)");
    r.get("out", l.out);
    if (l.out < 1) r.fail(r.key_path("out"), "must be >= 1");
    r.get("bias", l.bias);
    if (r.has("constraint")) l.constraint = read_constraint(r.node("constraint"), r.key_path("constraint"), source);
  }
  if (l.type == "conv" || l.type == "maxpool") {
    l.kernel = l.type == "maxpool" ? 2 : 3;
    l.stride = l.type == "maxpool" ? 2 : 1;
    r.get("kernel", l.kernel);
    r.get("stride", l.stride);
    if (l.kernel < 1) r.fail(r.key_path("kernel"), "must be >= 1");
    if (l.stride < 1) r.fail(r.key_path("stride"), "must be >= 1");
  }
  if (l.type == "conv") {
    r.get("padding", l.padding);
    if (l.padding < 0) r.fail(r.key_path("padding"), "must be >= 0");
  }
  if (l.type == "act") {
    r.get("fn", l.fn);
    check_one_of(r, "fn", l.fn, {"relu", "hardtanh", "sign", "identity"});
    r.get("bits", l.bits);
    r.get("max", l.max);
    if (l.fn == "sign") {
      if (r.has("bits") && l.bits != 1) r.fail(r.key_path("bits"), "sign activations have 1 bit");
      l.bits = 1;
    } else if (!(l.bits == 32 || (l.bits >= 2 && l.bits <= 8))) {
      r.fail(r.key_path("bits"), std::to_string(l.bits) + " is not 2..8 or 32 (use fn: sign for 1 bit)");
    }
    if (!(l.max > 0.0f) || !std::isfinite(l.max)) r.fail(r.key_path("max"), "must be a positive number");
  }
  if (l.type == "dropout") {
    r.get("p", l.p);
    if (!(l.p >= 0.0f && l.p < 1.0f)) r.fail(r.key_path("p"), "must be in [0, 1)");
  }
  r.finish();
  return l;
}

// Splits "model.layers[1].out" into {"model", "layers", "[1]", "out"}.
std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::string cur;
  for (char ch : key) {
    if (ch == '.') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else if (ch == '[') {
      if (!cur.empty()) parts.push_back(cur);
      cur = "[";
    } else if (ch == ']') {
      parts.push_back(cur + "]");
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

void apply_override(YAML::Node root, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    fail_input("--set " + assignment, "expected key=value (e.g. train.epochs=5)");
  std::string key = assignment.substr(0, eq);
  const YAML::Node value = parse_yaml_document(assignment.substr(eq + 1), "--set " + assignment);
  std::vector<std::string> parts = split_key(key);
  if (parts.empty()) fail_input("--set " + assignment, "expected key=value (e.g. train.epochs=5)");
  // yaml-cpp nodes are handles: walking with reset() keeps the tree shared.
  YAML::Node cur;
  cur.reset(root);
  std::string walked;  // the key up to cur, for messages
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    bool last = i + 1 == parts.size();
    YAML::Node next;
    if (p.front() == '[') {
      size_t idx = 0;
      try {
        idx = std::stoul(p.substr(1, p.size() - 2));
      } catch (const std::exception&) {
        fail_input("--set " + assignment, "bad index " + p);
      }
      if (!cur.IsSequence() || idx >= cur.size())
        fail_input("--set " + assignment, "index " + p + " is out of range");
      if (last) {
        cur[idx] = value;
        return;
      }
      next.reset(cur[idx]);
    } else {
      // A scalar or list on the way (x.y=1 where x is 3) has no keys to set.
      if (!cur.IsMap() && !cur.IsNull())
        fail_input("--set " + assignment, "'" + walked + "' is not a map, it has no key '" + p + "'");
      if (last) {
        cur[p] = value;
        return;
      }
      if (!cur[p]) cur[p] = YAML::Node(YAML::NodeType::Map);
      next.reset(cur[p]);
    }
    walked += p.front() == '[' || walked.empty() ? p : "." + p;
    cur.reset(next);
  }
}

void emit_constraint(YAML::Emitter& e, const ConstraintOverride& c) {
  e << YAML::BeginMap;
  if (c.weight_bits) e << YAML::Key << "weight_bits" << YAML::Value << *c.weight_bits;
  if (c.scale) e << YAML::Key << "scale" << YAML::Value << to_string(*c.scale);
  if (c.structure) e << YAML::Key << "structure" << YAML::Value << to_string(*c.structure);
  if (c.block_rows || c.block_cols)
    e << YAML::Key << "block" << YAML::Value << YAML::Flow << YAML::BeginSeq << c.block_rows.value_or(1)
      << c.block_cols.value_or(1) << YAML::EndSeq;
  if (c.ratio) e << YAML::Key << "ratio" << YAML::Value << *c.ratio;
  if (c.selection) e << YAML::Key << "selection" << YAML::Value << to_string(*c.selection);
  if (c.prune_start_epoch || c.prune_end_epoch)
    e << YAML::Key << "prune" << YAML::Value << YAML::Flow << YAML::BeginSeq << c.prune_start_epoch.value_or(0)
      << c.prune_end_epoch.value_or(0) << YAML::EndSeq;
  if (c.clip) e << YAML::Key << "clip" << YAML::Value << *c.clip;
  e << YAML::EndMap;
}

std::string flow(const YAML::Node& n) {
  if (!n) return "(absent)";
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::string first_difference(const YAML::Node& a, const YAML::Node& b, const std::string& path) {
  auto at = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (a.IsMap() && b.IsMap()) {
    for (const auto& kv : a) {
      const std::string key = kv.first.Scalar();
      const std::string d = first_difference(kv.second, b[key], at(key));
      if (!d.empty()) return d;
    }
    for (const auto& kv : b)
      if (!a[kv.first.Scalar()]) return at(kv.first.Scalar()) + ": (absent) vs " + flow(kv.second);
    return "";
  }
  if (a.IsSequence() && b.IsSequence() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string d = first_difference(a[i], b[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (a && b && a.IsScalar() && b.IsScalar() && a.Scalar() == b.Scalar()) return "";
  return path + ": " + flow(a) + " vs " + flow(b);
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

bool is_empty(const ConstraintOverride& c) {
  return !c.weight_bits && !c.scale && !c.structure && !c.block_rows && !c.block_cols && !c.ratio &&
         !c.selection && !c.prune_start_epoch && !c.prune_end_epoch && !c.clip;
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
  for (const std::string& o : overrides) apply_override(root, o);
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
  data.get("set", c.dataset);
  check_one_of(data, "set", c.dataset, {"mnist", "fashion_mnist", "cifar10"});
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
  train.get("loss", c.loss);
  train.get("log_every", c.log_every);
  train.get("kernels", c.kernels);
  train.get("device", c.device);
  if (c.epochs < 1) train.fail("train.epochs", "must be >= 1");
  if (c.batch_size < 1) train.fail("train.batch_size", "must be >= 1");
  if (c.eval_batch_size < 1) train.fail("train.eval_batch_size", "must be >= 1");
  if (c.log_every < 1) train.fail("train.log_every", "must be >= 1");
  check_one_of(train, "loss", c.loss, {"cross_entropy", "squared_hinge"});
  check_one_of(train, "kernels", c.kernels, {"auto", "dense", "kept", "packed"});
  if (c.kernels == "packed") c.kernels = "kept";  // the old name of the kept-weights path
  check_one_of(train, "device", c.device, {"auto", "cpu", "cuda"});
  {
    MapReader opt(train.node("optimizer"), "train.optimizer", c.source);
    OptimizerConfig& o = c.optimizer;
    opt.get("type", o.type);
    check_one_of(opt, "type", o.type, {"sgd", "adam"});
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
    sch.get("type", s.type);
    check_one_of(sch, "type", s.type, {"constant", "step", "exponential", "cosine"});
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
  for (const LayerConfig& l : c.layers) num_weight += (l.type == "linear" || l.type == "conv");
  if (num_weight == 0) fail_input(c.source, "key 'model.layers': no linear or conv layer");
  // Validate every weight layer's resolved constraint on its own, on a matrix large enough that no
  // shape check fires (those need the data set dims and happen when the model is built).
  constexpr int64_t kAnyDim = int64_t{1} << 20;
  int weight_index = 0;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const LayerConfig& l = c.layers[i];
    if (l.type != "linear" && l.type != "conv") continue;
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

std::string config_difference(const ExperimentConfig& a, const ExperimentConfig& b) {
  // train.device says where a run executes, not what it computes: a run may resume elsewhere.
  ExperimentConfig b_here = b;
  b_here.device = a.device;
  return first_difference(parse_yaml_document(to_yaml(a), "resolved config"),
                          parse_yaml_document(to_yaml(b_here), "resolved config"), "");
}

OptimizerSettings optimizer_settings(const ExperimentConfig& c) {
  OptimizerSettings s;
  s.kind = parse_optimizer(c.optimizer.type, c.source + ": key 'train.optimizer.type'");
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
  s.kind = parse_schedule(c.schedule.type, c.source + ": key 'train.schedule.type'");
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

std::string to_yaml(const ExperimentConfig& c) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << c.name;
  e << YAML::Key << "seed" << YAML::Value << c.seed;
  e << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "set" << YAML::Value << c.dataset;
  e << YAML::Key << "normalize" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "mean" << YAML::Value
    << c.norm_mean << YAML::Key << "std" << YAML::Value << c.norm_std << YAML::EndMap;
  e << YAML::Key << "augment" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "crop_padding"
    << YAML::Value << c.crop_padding << YAML::Key << "hflip" << YAML::Value << c.hflip << YAML::EndMap;
  e << YAML::EndMap;
  e << YAML::Key << "model" << YAML::Value << YAML::BeginMap << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const LayerConfig& l : c.layers) {
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value << l.type;
    if (l.type == "linear" || l.type == "conv") {
      e << YAML::Key << "out" << YAML::Value << l.out << YAML::Key << "bias" << YAML::Value << l.bias;
    }
    if (l.type == "conv" || l.type == "maxpool")
      e << YAML::Key << "kernel" << YAML::Value << l.kernel << YAML::Key << "stride" << YAML::Value << l.stride;
    if (l.type == "conv") e << YAML::Key << "padding" << YAML::Value << l.padding;
    if (l.type == "act")
      e << YAML::Key << "fn" << YAML::Value << l.fn << YAML::Key << "bits" << YAML::Value << l.bits << YAML::Key
        << "max" << YAML::Value << l.max;
    if (l.type == "dropout") e << YAML::Key << "p" << YAML::Value << l.p;
    if ((l.type == "linear" || l.type == "conv") && !is_empty(l.constraint)) {
      e << YAML::Key << "constraint" << YAML::Value;
      emit_constraint(e, l.constraint);
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;
  e << YAML::Key << "constraints" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "default" << YAML::Value;
  emit_constraint(e, c.constraint_default);
  e << YAML::Key << "first" << YAML::Value;
  emit_constraint(e, c.constraint_first);
  e << YAML::Key << "last" << YAML::Value;
  emit_constraint(e, c.constraint_last);
  e << YAML::EndMap;
  e << YAML::Key << "train" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "epochs" << YAML::Value << c.epochs;
  e << YAML::Key << "batch_size" << YAML::Value << c.batch_size;
  e << YAML::Key << "eval_batch_size" << YAML::Value << c.eval_batch_size;
  e << YAML::Key << "loss" << YAML::Value << c.loss;
  e << YAML::Key << "log_every" << YAML::Value << c.log_every;
  e << YAML::Key << "kernels" << YAML::Value << c.kernels;
  e << YAML::Key << "device" << YAML::Value << c.device;
  const OptimizerConfig& o = c.optimizer;
  e << YAML::Key << "optimizer" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value
    << o.type << YAML::Key << "lr" << YAML::Value << o.lr << YAML::Key << "momentum" << YAML::Value << o.momentum
    << YAML::Key << "nesterov" << YAML::Value << o.nesterov << YAML::Key << "weight_decay" << YAML::Value
    << o.weight_decay << YAML::Key << "beta1" << YAML::Value << o.beta1 << YAML::Key << "beta2" << YAML::Value
    << o.beta2 << YAML::Key << "eps" << YAML::Value << o.eps << YAML::EndMap;
  const ScheduleConfig& s = c.schedule;
  e << YAML::Key << "schedule" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value
    << s.type << YAML::Key << "step_size" << YAML::Value << s.step_size << YAML::Key << "gamma" << YAML::Value
    << s.gamma << YAML::Key << "min_lr" << YAML::Value << s.min_lr << YAML::EndMap;
  e << YAML::EndMap;
  if (!c.hwsim_arch.empty())
    e << YAML::Key << "hwsim" << YAML::Value << YAML::BeginMap << YAML::Key << "arch" << YAML::Value << c.hwsim_arch
      << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace bitblock
