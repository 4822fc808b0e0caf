#include "bitblock/framework/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "bitblock/common/error.hpp"

namespace bitblock {

void validate_schedule(const ScheduleSettings& s, const std::string& where) {
  if (s.kind == ScheduleKind::Step && s.step_size < 1)
    fail_input(where, "step_size must be >= 1, got " + std::to_string(s.step_size));
  if ((s.kind == ScheduleKind::Step || s.kind == ScheduleKind::Exponential) && !(s.gamma > 0.0))
    fail_input(where, "gamma must be positive, got " + std::to_string(s.gamma));
  if (s.kind == ScheduleKind::Cosine) {
    if (!(s.min_lr >= 0.0)) fail_input(where, "min_lr must be >= 0, got " + std::to_string(s.min_lr));
    if (s.total_epochs < 1) fail_input(where, "total epochs must be >= 1, got " + std::to_string(s.total_epochs));
  }
}

double scheduled_lr(const ScheduleSettings& s, int epoch, double base_lr) {
  switch (s.kind) {
    case ScheduleKind::Constant: return base_lr;
    case ScheduleKind::Step: return base_lr * std::pow(s.gamma, epoch / s.step_size);
    case ScheduleKind::Exponential: return base_lr * std::pow(s.gamma, epoch);
    case ScheduleKind::Cosine: {
      const double progress = static_cast<double>(std::min(epoch, s.total_epochs)) / s.total_epochs;
      return s.min_lr + (base_lr - s.min_lr) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
    }
  }
  return base_lr;
}

}  // namespace bitblock
