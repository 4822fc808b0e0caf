#pragma once
// SGD with momentum (optionally Nesterov) and Adam (bias-corrected), over the parameters a
// model exposes, on their device (the moments live there too). Weight decay is L2 added to the
// gradient, only for params with decay = true.
//   SGD:  g = grad + wd*w;  v = mu*v + g;  w -= lr * (nesterov ? g + mu*v : v)
//   Adam: g = grad + wd*w;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  t = step count
//         w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// The state (moment buffers by name, and the step count) is exposed for checkpoints.
#include <cstdint>
#include <string>
#include <vector>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/framework/layer.hpp"

namespace bitblock {

enum class OptimizerKind { Sgd, Adam };

// The config's train.optimizer.type spellings.
inline constexpr EnumName<OptimizerKind> kOptimizerNames[] = {{OptimizerKind::Sgd, "sgd"}, {OptimizerKind::Adam, "adam"}};
inline const char* to_string(OptimizerKind kind) { return name_of(kOptimizerNames, kind); }

struct OptimizerSettings {
  OptimizerKind kind = OptimizerKind::Adam;
  double momentum = 0.9;     // SGD
  bool nesterov = false;     // SGD
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam
};
// InputError "<where>: ..." for momentum / betas outside [0, 1), eps <= 0, weight_decay < 0,
// Nesterov without momentum.
void validate_optimizer(const OptimizerSettings& s, const std::string& where);

class Optimizer {
 public:
  // params: value/grad pointers stay owned by the model, which must outlive the optimizer.
  Optimizer(const OptimizerSettings& settings, std::vector<Param> params);

  // One update of every parameter from its accumulated gradient, at learning rate lr: the host
  // part (step count, bias corrections into the step's scalars on the parameters' device), then
  // the device part (kernels/optimizer.hpp), which a captured training step replays.
  void step(double lr);
  void prepare_step(double lr);
  void apply_step();

  const OptimizerSettings& settings() const { return settings_; }
  int64_t step_count() const { return step_; }
  void set_step_count(int64_t step) { step_ = step; }
  // Moment buffers named "<param>.momentum" (SGD) or "<param>.m" and "<param>.v" (Adam), in
  // parameter order; writing into them (checkpoint restore) sets the state.
  std::vector<Buffer> state();

 private:
  OptimizerSettings settings_;
  std::vector<Param> params_;
  std::vector<Tensor> first_, second_;  // per param: momentum or m; v (Adam only)
  Tensor hyper_;                        // the step's lr and bias corrections, on the parameters' device
  int64_t step_ = 0;
};

}  // namespace bitblock
