// CoreWatch's arithmetic (core_watch.hpp): the team for the cores others leave, and the parsing of
// /proc/stat and /proc/<pid>/stat lines, against hand-computed values.
#include <gtest/gtest.h>

#include "bitblock/framework/core_watch.hpp"

namespace bitblock {
namespace {

TEST(CoreWatch, TeamIsTheRequestOrTheCoresOthersLeave) {
  EXPECT_EQ(team_for(2, 2, 0.0), 2);
  EXPECT_EQ(team_for(2, 2, 0.4), 2);   // a little background work keeps the team
  EXPECT_EQ(team_for(2, 2, 0.67), 1);  // one busy process among our two threads gets 2/3 of a core
  EXPECT_EQ(team_for(2, 2, 1.0), 1);
  EXPECT_EQ(team_for(2, 2, 3.0), 1);   // never below one
  EXPECT_EQ(team_for(4, 16, 5.0), 4);  // enough left: the request
  EXPECT_EQ(team_for(8, 8, 2.6), 5);
  EXPECT_EQ(team_for(2, 2, -0.2), 2);  // rounding noise below zero counts as none
}

TEST(CoreWatch, BusyJiffiesAddUserSystemIrqAndSoftirq) {
  // user nice system idle iowait irq softirq steal guest guest_nice
  EXPECT_EQ(busy_jiffies("cpu0 100 50 20 9000 7 3 2 40 0 0"), 100 + 20 + 3 + 2);
  EXPECT_EQ(busy_jiffies("cpu1 1 2 3 4 5 6 7"), 1 + 3 + 6 + 7);
  EXPECT_EQ(busy_jiffies("cpu2 1 2 3"), -1);
}

TEST(CoreWatch, ProcessJiffiesReadUtimeAndStimeAfterTheCommandName) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  EXPECT_EQ(process_jiffies("42 (bitblock) R 1 42 42 0 -1 4194304 100 0 0 0 1234 56 0 0 20 0 3"), 1234 + 56);
  EXPECT_EQ(process_jiffies("7 (a (b) c) S 1 7 7 0 -1 0 1 0 0 0 10 5 0 0"), 15);  // parentheses in the name
  EXPECT_EQ(process_jiffies("7 no parenthesis"), -1);
  EXPECT_EQ(process_jiffies("7 (x) S 1 2"), -1);
}

TEST(CoreWatch, OneThreadIsNeverChanged) {
  CoreWatch w(1);
  EXPECT_EQ(w.tick(), "");
  EXPECT_EQ(w.team(), 1);
}

}  // namespace
}  // namespace bitblock
