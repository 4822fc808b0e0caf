// The report's scatter data on hand-made rows: one gnuplot block per sparsity structure (so each
// gets its own colour), and the front's runs, labelled, in the front file.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/experiments/report.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock::experiments {
namespace {

ResultRow row(const std::string& run, const std::string& structure, double acc, double kib) {
  ResultRow r;
  r.run = run;
  r.keys = {{"constraints.default.structure", structure}, {"constraints.default.ratio", "8"}};
  r.metrics["test_acc"] = acc;
  r.metrics["weight_kib"] = kib;
  return r;
}

TEST(ReportPlots, ScatterDataHasOneBlockPerStructureAndLabelsTheFront) {
  testing_support::TempDir dir("report_plots");
  // block 40 KiB 98.5% and row 30 KiB 97.0% are on the front; row 100 KiB 98.0% is dominated.
  const std::vector<ResultRow> rows = {row("a", "block", 0.985, 40.0), row("b", "row", 0.970, 30.0),
                                       row("c", "row", 0.980, 100.0)};
  sweep_report(dir.path, rows, dir.path, ".");
  const std::string stem = dir.path + "/" + dir.path.substr(dir.path.rfind('/') + 1) + "_acc_vs_memory";
  EXPECT_EQ(read_file(stem + ".dat"), "40 98.5000\n\n\n30 97.0000\n100 98.0000\n\n\n");
  const std::string front = read_file(stem + "_front.dat");
  EXPECT_NE(front.find("30 97.0000 \"row 8\""), std::string::npos) << front;
  EXPECT_NE(front.find("40 98.5000 \"block 8\""), std::string::npos) << front;
  EXPECT_EQ(front.find("100 "), std::string::npos) << front;
}

// A structure key that only some runs have (an include's dense points) does not colour the plot:
// the precision, which every run has, does.
TEST(ReportPlots, ColoursByPrecisionWhenNotEveryRunHasAStructure) {
  testing_support::TempDir dir("report_plots");
  auto bits_row = [](const std::string& run, const std::string& bits, bool dense, double acc, double kib) {
    ResultRow r;
    r.run = run;
    r.keys = {{"constraints.default.weight_bits", bits}};
    if (dense) r.keys.push_back({"constraints.default.structure", "none"});
    r.metrics["test_acc"] = acc;
    r.metrics["weight_kib"] = kib;
    return r;
  };
  const std::vector<ResultRow> rows = {bits_row("a", "1", false, 0.91, 16.0), bits_row("b", "4", false, 0.93, 55.0),
                                       bits_row("c", "1", true, 0.92, 100.0)};
  sweep_report(dir.path, rows, dir.path, ".");
  const std::string stem = dir.path + "/" + dir.path.substr(dir.path.rfind('/') + 1) + "_acc_vs_memory";
  EXPECT_EQ(read_file(stem + ".dat"), "16 91.0000\n100 92.0000\n\n\n55 93.0000\n\n\n");
}

}  // namespace
}  // namespace bitblock::experiments
