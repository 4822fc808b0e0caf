#pragma once
// Learning-rate schedules, per epoch (0-based), as pure functions:
//   constant     lr = base
//   step         lr = base * gamma^floor(epoch / step_size)
//   exponential  lr = base * gamma^epoch
//   cosine       lr = min_lr + (base - min_lr) * (1 + cos(pi * min(epoch, total) / total)) / 2
//                (epoch 0 at base; reaches min_lr at epoch = total_epochs)
#include <string>

#include "bitblock/common/enum_names.hpp"

namespace bitblock {

enum class ScheduleKind { Constant, Step, Exponential, Cosine };

// The config's train.schedule.type spellings.
inline constexpr EnumName<ScheduleKind> kScheduleNames[] = {{ScheduleKind::Constant, "constant"},
                                                            {ScheduleKind::Step, "step"},
                                                            {ScheduleKind::Exponential, "exponential"},
                                                            {ScheduleKind::Cosine, "cosine"}};
inline const char* to_string(ScheduleKind kind) { return name_of(kScheduleNames, kind); }

struct ScheduleSettings {
  ScheduleKind kind = ScheduleKind::Constant;
  int step_size = 10;     // step
  double gamma = 0.1;     // step, exponential
  double min_lr = 0.0;    // cosine
  int total_epochs = 1;   // cosine
};
// InputError for step_size < 1, gamma <= 0, min_lr < 0, total_epochs < 1 (where they are used).
void validate_schedule(const ScheduleSettings& s, const std::string& where);

double scheduled_lr(const ScheduleSettings& s, int epoch, double base_lr);

}  // namespace bitblock
