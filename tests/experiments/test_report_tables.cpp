// The report's summary tables on hand-made rows: seed groups (mean, sample std, range) and the
// least weight memory reaching each accuracy level.
#include <gtest/gtest.h>

#include "bitblock/experiments/report_tables.hpp"

namespace bitblock::experiments {
namespace {

ResultRow row(const std::string& run, std::vector<std::pair<std::string, std::string>> keys, double acc, double kib) {
  ResultRow r;
  r.run = run;
  r.keys = std::move(keys);
  r.metrics["test_acc"] = acc;
  r.metrics["weight_kib"] = kib;
  return r;
}

const std::string kBits = "constraints.default.weight_bits";
const std::string kStruct = "constraints.default.structure";

TEST(ReportTables, SeedGroupsAverageRunsThatDifferOnlyInSeed) {
  const std::vector<ResultRow> rows = {
      row("p", {{kBits, "3"}, {kStruct, "block"}}, 0.980, 98.0),
      row("q", {{kBits, "2"}, {kStruct, "block"}}, 0.970, 70.0),
      row("p2", {{kBits, "3"}, {kStruct, "block"}, {"seed", "2"}}, 0.984, 98.0),
      row("p3", {{kStruct, "block"}, {"seed", "3"}, {kBits, "3"}}, 0.988, 98.0),  // key order differs
      row("q_blk", {{kBits, "2"}, {kStruct, "block"}, {"constraints.default.block", "4x4"}}, 0.96, 80.0),
  };
  const std::vector<SeedGroup> g = seed_groups(rows);
  ASSERT_EQ(g.size(), 1u);  // q and q_blk differ in block, not seed; q has one run
  EXPECT_EQ(g[0].runs, (std::vector<int>{0, 2, 3}));
  EXPECT_EQ(g[0].seeds, (std::vector<std::string>{"", "2", "3"}));
  EXPECT_EQ(g[0].label, "3 block");
  EXPECT_NEAR(g[0].mean_acc, 0.984, 1e-12);
  EXPECT_NEAR(g[0].std_acc, 0.004, 1e-12);  // deviations -0.004, 0, +0.004: sqrt(3.2e-5 / 2)
  EXPECT_DOUBLE_EQ(g[0].min_acc, 0.980);
  EXPECT_DOUBLE_EQ(g[0].max_acc, 0.988);
  const std::string md = seed_table_markdown(rows);
  EXPECT_NE(md.find("| 3 block | 3 (base, 2, 3) | 98.40 | 0.40 | 98.00 | 98.80 | 98.00 |"), std::string::npos) << md;
}

TEST(ReportTables, LeastMemoryPerLevelOverallAndPerStructure) {
  const std::vector<ResultRow> rows = {
      row("a", {{kStruct, "block"}}, 0.985, 100.0), row("b", {{kStruct, "row"}}, 0.990, 300.0),
      row("c", {{kStruct, "block"}}, 0.975, 50.0),  row("d", {{kStruct, "row"}}, 0.981, 90.0),
      row("e", {{kStruct, "block"}}, 0.986, 100.0),  // same memory as a, more accurate
  };
  EXPECT_EQ(least_memory_at(rows, 0.98, "", ""), 3);           // d: 90 KiB
  EXPECT_EQ(least_memory_at(rows, 0.985, "", ""), 4);          // a and e tie at 100 KiB: e is better
  EXPECT_EQ(least_memory_at(rows, 0.985, kStruct, "row"), 1);
  EXPECT_EQ(least_memory_at(rows, 0.97, kStruct, "block"), 2);
  EXPECT_EQ(least_memory_at(rows, 0.995, "", ""), -1);
  // Best 99.0% -> levels 99.0, 98.5, 98.0 (half points down from the best).
  const std::vector<double> levels = accuracy_levels(rows, 3);
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_DOUBLE_EQ(levels[0], 0.99);
  EXPECT_DOUBLE_EQ(levels[1], 0.985);
  EXPECT_DOUBLE_EQ(levels[2], 0.98);
  EXPECT_EQ(structure_key(rows), kStruct);
  const std::string md = least_memory_markdown(rows);
  EXPECT_NE(md.find("| >= 98.0% | d: 90.00 KiB (98.10%) | e: 100.00 KiB (98.60%) | d: 90.00 KiB (98.10%) |"), std::string::npos) << md;
}

}  // namespace
}  // namespace bitblock::experiments
