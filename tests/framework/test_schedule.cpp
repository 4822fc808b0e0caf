// Learning-rate schedules against hand-computed values.
#include <gtest/gtest.h>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/schedule.hpp"

namespace bitblock {
namespace {

TEST(Schedule, Constant) {
  ScheduleSettings s;
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 0, 0.1), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 57, 0.1), 0.1);
}

TEST(Schedule, Step) {
  ScheduleSettings s;
  s.kind = ScheduleKind::Step;
  s.step_size = 3;
  s.gamma = 0.5;
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 0, 0.2), 0.2);
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 2, 0.2), 0.2);
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 3, 0.2), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 5, 0.2), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 6, 0.2), 0.05);
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 10, 0.2), 0.025);
}

TEST(Schedule, Exponential) {
  ScheduleSettings s;
  s.kind = ScheduleKind::Exponential;
  s.gamma = 0.9;
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 0, 1.0), 1.0);
  EXPECT_NEAR(scheduled_lr(s, 1, 1.0), 0.9, 1e-15);
  EXPECT_NEAR(scheduled_lr(s, 3, 2.0), 1.458, 1e-12);
}

TEST(Schedule, Cosine) {
  ScheduleSettings s;
  s.kind = ScheduleKind::Cosine;
  s.min_lr = 0.01;
  s.total_epochs = 4;
  EXPECT_DOUBLE_EQ(scheduled_lr(s, 0, 0.11), 0.11);
  // epoch 1: cos(pi/4) = 0.70710678: 0.01 + 0.1 * (1 + 0.70710678) / 2
  EXPECT_NEAR(scheduled_lr(s, 1, 0.11), 0.0953553390593, 1e-12);
  EXPECT_NEAR(scheduled_lr(s, 2, 0.11), 0.06, 1e-12);
  EXPECT_NEAR(scheduled_lr(s, 3, 0.11), 0.0246446609407, 1e-12);
  EXPECT_NEAR(scheduled_lr(s, 4, 0.11), 0.01, 1e-12);
  EXPECT_NEAR(scheduled_lr(s, 9, 0.11), 0.01, 1e-12);  // stays at min_lr past the end
}

TEST(Schedule, ParseAndValidate) {
  EXPECT_EQ(parse_name(kScheduleNames, "cosine", "schedule.type"), ScheduleKind::Cosine);
  EXPECT_THROW(parse_name(kScheduleNames, "linear", "schedule.type"), InputError);
  ScheduleSettings s;
  s.kind = ScheduleKind::Step;
  s.step_size = 0;
  EXPECT_THROW(validate_schedule(s, "schedule"), InputError);
  s.step_size = 2;
  s.gamma = 0.0;
  EXPECT_THROW(validate_schedule(s, "schedule"), InputError);
  ScheduleSettings c;
  c.kind = ScheduleKind::Cosine;
  c.total_epochs = 0;
  EXPECT_THROW(validate_schedule(c, "schedule"), InputError);
  c.total_epochs = 5;
  EXPECT_NO_THROW(validate_schedule(c, "schedule"));
}

}  // namespace
}  // namespace bitblock
