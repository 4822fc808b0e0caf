#include "bitblock/framework/optimizer.hpp"

#include <cmath>
#include <stdexcept>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/ops.hpp"

namespace bitblock {

void validate_optimizer(const OptimizerSettings& s, const std::string& where) {
  auto unit = [&](double v, const char* key) {
    if (!(v >= 0.0 && v < 1.0)) fail_input(where, std::string(key) + " must be in [0, 1), got " + std::to_string(v));
  };
  if (s.kind == OptimizerKind::Sgd) {
    unit(s.momentum, "momentum");
    if (s.nesterov && s.momentum == 0.0) fail_input(where, "nesterov needs momentum > 0");
  } else {
    unit(s.beta1, "beta1");
    unit(s.beta2, "beta2");
    if (!(s.eps > 0.0)) fail_input(where, "eps must be positive, got " + std::to_string(s.eps));
  }
  if (!(s.weight_decay >= 0.0)) fail_input(where, "weight_decay must be >= 0, got " + std::to_string(s.weight_decay));
}

Optimizer::Optimizer(const OptimizerSettings& settings, std::vector<Param> params)
    : settings_(settings), params_(std::move(params)) {
  validate_optimizer(settings_, "optimizer");
  const ExecContextPtr ctx = params_.empty() ? host_context() : params_.front().value->context();
  for (const Param& p : params_) {
    first_.emplace_back(p.value->shape(), ctx);
    if (settings_.kind == OptimizerKind::Adam) second_.emplace_back(p.value->shape(), ctx);
  }
  hyper_ = Tensor({3}, ctx);
}

void Optimizer::prepare_step(double lr) {
  ++step_;
  const double t = static_cast<double>(step_);
  const auto correct1 = static_cast<float>(1.0 / (1.0 - std::pow(settings_.beta1, t)));
  const auto correct2 = static_cast<float>(1.0 / (1.0 - std::pow(settings_.beta2, t)));
  hyper_.copy_from(Tensor({3}, {static_cast<float>(lr), correct1, correct2}));
}

void Optimizer::apply_step() {
  const bool adam = settings_.kind == OptimizerKind::Adam;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& w = *params_[i].value;
    const Tensor& grad = *params_[i].grad;
    const auto wd = params_[i].decay ? static_cast<float>(settings_.weight_decay) : 0.0f;
    if (first_[i].numel() != w.numel() || grad.numel() != w.numel())
      throw std::logic_error("Optimizer: parameter " + params_[i].name + " changed size since the optimizer was made");
    if (adam) {
      const kernels::AdamSettings a{static_cast<float>(settings_.beta1), static_cast<float>(settings_.beta2),
                                    static_cast<float>(settings_.eps), wd};
      ops::adam_update(a, hyper_, grad, w, first_[i], second_[i]);
    } else {
      const kernels::SgdSettings sgd{static_cast<float>(settings_.momentum), wd, settings_.nesterov};
      ops::sgd_update(sgd, hyper_, grad, w, first_[i]);
    }
  }
}

void Optimizer::step(double lr) {
  prepare_step(lr);
  apply_step();
}

std::vector<Buffer> Optimizer::state() {
  std::vector<Buffer> out;
  const bool adam = settings_.kind == OptimizerKind::Adam;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.push_back({params_[i].name + (adam ? ".m" : ".momentum"), &first_[i]});
    if (adam) out.push_back({params_[i].name + ".v", &second_[i]});
  }
  return out;
}

}  // namespace bitblock
