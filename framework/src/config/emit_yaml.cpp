// The resolved config as YAML: what a run writes to <run>/config.yaml and its checkpoints, and
// what resume and the sweeps compare.
#include <yaml-cpp/yaml.h>

#include "bitblock/framework/config.hpp"

namespace bitblock {

namespace {

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

bool is_empty(const ConstraintOverride& c) {
  return !c.weight_bits && !c.scale && !c.structure && !c.block_rows && !c.block_cols && !c.ratio &&
         !c.selection && !c.prune_start_epoch && !c.prune_end_epoch && !c.clip;
}

}  // namespace

std::string to_yaml(const ExperimentConfig& c) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << c.name;
  e << YAML::Key << "seed" << YAML::Value << c.seed;
  e << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "set" << YAML::Value << to_string(c.dataset);
  e << YAML::Key << "normalize" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "mean" << YAML::Value
    << c.norm_mean << YAML::Key << "std" << YAML::Value << c.norm_std << YAML::EndMap;
  e << YAML::Key << "augment" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "crop_padding"
    << YAML::Value << c.crop_padding << YAML::Key << "hflip" << YAML::Value << c.hflip << YAML::EndMap;
  e << YAML::EndMap;
  e << YAML::Key << "model" << YAML::Value << YAML::BeginMap << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const LayerConfig& l : c.layers) {
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value << to_string(l.type);
    if (l.has_weights()) {
      e << YAML::Key << "out" << YAML::Value << l.out << YAML::Key << "bias" << YAML::Value << l.bias;
    }
    if (l.type == LayerType::Conv || l.type == LayerType::MaxPool)
      e << YAML::Key << "kernel" << YAML::Value << l.kernel << YAML::Key << "stride" << YAML::Value << l.stride;
    if (l.type == LayerType::Conv) e << YAML::Key << "padding" << YAML::Value << l.padding;
    if (l.type == LayerType::Act)
      e << YAML::Key << "fn" << YAML::Value << to_string(l.fn) << YAML::Key << "bits" << YAML::Value << l.bits << YAML::Key
        << "max" << YAML::Value << l.max;
    if (l.type == LayerType::Dropout) e << YAML::Key << "p" << YAML::Value << l.p;
    if (l.has_weights() && !is_empty(l.constraint)) {
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
  e << YAML::Key << "loss" << YAML::Value << to_string(c.loss);
  e << YAML::Key << "log_every" << YAML::Value << c.log_every;
  e << YAML::Key << "kernels" << YAML::Value << to_string(c.kernels);
  e << YAML::Key << "device" << YAML::Value << to_string(c.device);
  const OptimizerConfig& o = c.optimizer;
  e << YAML::Key << "optimizer" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value
    << to_string(o.type) << YAML::Key << "lr" << YAML::Value << o.lr << YAML::Key << "momentum" << YAML::Value << o.momentum
    << YAML::Key << "nesterov" << YAML::Value << o.nesterov << YAML::Key << "weight_decay" << YAML::Value
    << o.weight_decay << YAML::Key << "beta1" << YAML::Value << o.beta1 << YAML::Key << "beta2" << YAML::Value
    << o.beta2 << YAML::Key << "eps" << YAML::Value << o.eps << YAML::EndMap;
  const ScheduleConfig& s = c.schedule;
  e << YAML::Key << "schedule" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value
    << to_string(s.type) << YAML::Key << "step_size" << YAML::Value << s.step_size << YAML::Key << "gamma" << YAML::Value
    << s.gamma << YAML::Key << "min_lr" << YAML::Value << s.min_lr << YAML::EndMap;
  e << YAML::EndMap;
  if (!c.hwsim_arch.empty())
    e << YAML::Key << "hwsim" << YAML::Value << YAML::BeginMap << YAML::Key << "arch" << YAML::Value << c.hwsim_arch
      << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}


}  // namespace bitblock
