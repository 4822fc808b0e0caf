#include "bitblock/framework/optimizer.hpp"

#include <cmath>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {
constexpr int64_t kParallelMin = 1 << 15;
}  // namespace

const char* to_string(OptimizerKind kind) { return kind == OptimizerKind::Sgd ? "sgd" : "adam"; }

OptimizerKind parse_optimizer(const std::string& s, const std::string& where) {
  if (s == "sgd") return OptimizerKind::Sgd;
  if (s == "adam") return OptimizerKind::Adam;
  fail_input(where, "unknown optimizer '" + s + "' (expected sgd or adam)");
}

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
  for (const Param& p : params_) {
    first_.emplace_back(p.value->shape(), 0.0f);
    if (settings_.kind == OptimizerKind::Adam) second_.emplace_back(p.value->shape(), 0.0f);
  }
}

void Optimizer::step(double lr) {
  ++step_;
  const auto rate = static_cast<float>(lr);
  const bool adam = settings_.kind == OptimizerKind::Adam;
  const auto mu = static_cast<float>(settings_.momentum);
  const bool nesterov = settings_.nesterov;
  const auto b1 = static_cast<float>(settings_.beta1), b2 = static_cast<float>(settings_.beta2);
  const auto eps = static_cast<float>(settings_.eps);
  const double t = static_cast<double>(step_);
  const auto correct1 = static_cast<float>(1.0 / (1.0 - std::pow(settings_.beta1, t)));
  const auto correct2 = static_cast<float>(1.0 / (1.0 - std::pow(settings_.beta2, t)));
  for (size_t i = 0; i < params_.size(); ++i) {
    float* w = params_[i].value->data();
    const float* grad = params_[i].grad->data();
    float* m = first_[i].data();
    float* v = adam ? second_[i].data() : nullptr;
    const auto wd = params_[i].decay ? static_cast<float>(settings_.weight_decay) : 0.0f;
    const int64_t n = params_[i].value->numel();
    if (adam) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t j = 0; j < n; ++j) {
        const float g = grad[j] + wd * w[j];
        m[j] = b1 * m[j] + (1.0f - b1) * g;
        v[j] = b2 * v[j] + (1.0f - b2) * g * g;
        w[j] -= rate * (m[j] * correct1) / (std::sqrt(v[j] * correct2) + eps);
      }
    } else {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t j = 0; j < n; ++j) {
        const float g = grad[j] + wd * w[j];
        m[j] = mu * m[j] + g;
        w[j] -= rate * (nesterov ? g + mu * m[j] : m[j]);
      }
    }
  }
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
