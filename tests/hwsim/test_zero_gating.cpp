// Data-dependent energy (arch zero_gating): hand-computed counts of the tiny network for given
// pixels, per-image energy that differs between images with gating and equals the
// data-independent model without it, and skip with no zero inputs equal to the schedule.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/hwsim/activity.hpp"
#include "bitblock/hwsim/datapath.hpp"
#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/image_report.hpp"
#include "bitblock/hwsim/report.hpp"
#include "bitblock/hwsim/sensitivity.hpp"
#include "bitblock/hwsim/simulate.hpp"
#include "bitblock/model/ops.hpp"
#include "hwsim/tiny_design.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

constexpr double kFa = 0.004;  // pJ per full adder at 1 V (tiny_tech)

// Stage k's counts for one image of the tiny network (its input codes from the datapath).
std::vector<hwsim::EventCounts> image_counts(const hwsim::Arch& a, const std::vector<uint8_t>& img) {
  const model::Network n = tiny_network();
  const std::vector<hwsim::EventCounts> base = hwsim::count_events(n, a);
  const hwsim::ZeroModel z = hwsim::zero_model(n);
  std::vector<hwsim::EventCounts> out(base);
  hwsim::run_datapath(n, img.data(), 1, [&](size_t k, int64_t, const int16_t* x, int64_t stride) {
    out[k] = hwsim::image_stage_events(n, k, a, z, base[k], x, stride);
  });
  return out;
}

TEST(ZeroGating, ZeroModelCountsNonzeroWeightsPerColumn) {
  // fc1 codes [[1, -2, 0, 1], [-1, 1, 1, -2]]: columns hold 2, 2, 1, 2 nonzero codes; fc2 kept
  // codes (0,0) = 1, (0,1) = -1, (1,1) = 1: columns 1, 2.
  const hwsim::ZeroModel z = hwsim::zero_model(tiny_network());
  EXPECT_EQ(z.column_nonzero_weights[0], (std::vector<int64_t>{2, 2, 1, 2}));
  EXPECT_EQ(z.column_nonzero_weights[1], (std::vector<int64_t>{1, 2}));
}

TEST(ZeroGating, ClockGateCountsProductsWithBothOperandsNonzero) {
  hwsim::Arch a = tiny_arch();
  a.zero_gating = hwsim::ZeroGating::ClockGate;
  const std::vector<hwsim::EventCounts> base = hwsim::count_events(tiny_network(), a);
  // Pixels (10, 0, 3, 7): column 1 is zero; column 2's first code is zero: 2 + 0 + 1 + 2 = 5 of 8.
  const std::vector<hwsim::EventCounts> e = image_counts(a, {10, 0, 3, 7});
  EXPECT_EQ(e[0].active_products, 5);
  EXPECT_EQ(e[0].macs, 8);
  EXPECT_EQ(e[0].cycles(), base[0].cycles());
  EXPECT_EQ(e[1].active_products, 3);  // sign codes are never zero
  // Energy: the tree (40 FAs) and the 4 x 16-bit accumulator adds and register writes switch for
  // 5/8 of the products (2-bit codes need no multiplier adders).
  const hwsim::CostReport gated = hwsim::estimate_cost(a, tiny_tech(), tiny_network(), e);
  EXPECT_NEAR(gated.stages[0].energy.mac, (40 + 4 * 16) * 5.0 / 8 * kFa, 1e-12);
  EXPECT_NEAR(gated.stages[0].energy.registers, (4 * 16 * 5.0 / 8 + 32) * 0.01, 1e-12);
}

TEST(ZeroGating, SkipIssuesOnlyNonzeroColumns) {
  hwsim::Arch a = tiny_arch();
  a.zero_gating = hwsim::ZeroGating::Skip;
  a.weight_sram.word_bits = 8;  // one 2x2 block of 2-bit codes per word
  const std::vector<hwsim::EventCounts> base = hwsim::count_events(tiny_network(), a);
  EXPECT_EQ(base[0].weight_reads, 2);
  EXPECT_EQ(base[0].mac_cycles, 4);
  // Pixels (0, 0, 3, 7): block (0,0) (columns 0-1) has no nonzero input: no products, its act
  // word is still read (1 cycle), its weight word is not; block (0,1): both columns, 4 products
  // in 2 cycles, 2 row updates, two 2-input trees of 10-bit products (20 FAs).
  const std::vector<hwsim::EventCounts> e = image_counts(a, {0, 0, 3, 7});
  EXPECT_EQ(e[0].macs, 4);
  EXPECT_EQ(e[0].active_products, 4);
  EXPECT_EQ(e[0].mac_cycles, 1 + 2);
  EXPECT_EQ(e[0].acc_updates, 2);
  EXPECT_EQ(e[0].tree_fa, 20);
  EXPECT_EQ(e[0].weight_reads, 1);
  EXPECT_EQ(e[0].act_reads, base[0].act_reads);
  EXPECT_EQ(e[0].index_reads, base[0].index_reads);
  EXPECT_EQ(e[0].param_reads, base[0].param_reads);
  // Pixels (10, 0, 3, 7): block (0,0) issues column 0 only: 2 products in 1 cycle, one update per
  // row (2), single-input trees (0 FAs); both weight words read.
  const std::vector<hwsim::EventCounts> f = image_counts(a, {10, 0, 3, 7});
  EXPECT_EQ(f[0].macs, 2 + 4);
  EXPECT_EQ(f[0].mac_cycles, 1 + 2);
  EXPECT_EQ(f[0].acc_updates, 2 + 2);
  EXPECT_EQ(f[0].tree_fa, 20);
  EXPECT_EQ(f[0].weight_reads, 2);
  // No zero input: exactly the data-independent schedule.
  const std::vector<hwsim::EventCounts> g = image_counts(a, {1, 2, 3, 4});
  EXPECT_TRUE(g[0] == base[0]);
  EXPECT_TRUE(g[1] == base[1]);
}

TEST(ZeroGating, PerImageEnergyDiffersWithGatingAndEqualsTheModelWithout) {
  const model::Network n = tiny_network();
  const std::vector<uint8_t> images = {10, 0, 3, 7, 0, 0, 3, 7, 1, 2, 3, 4};
  hwsim::Arch a = tiny_arch();
  const hwsim::SimResult off = hwsim::simulate(n, a, tiny_tech(), images.data(), nullptr, 3);
  ASSERT_EQ(off.per_image.size(), 3u);
  for (const hwsim::ImageCost& c : off.per_image) {
    EXPECT_DOUBLE_EQ(c.energy.total(), off.cost.energy.total());
    EXPECT_EQ(c.total_cycles, off.cost.cycles);
  }
  EXPECT_DOUBLE_EQ(off.band.nominal.energy_nj, off.cost.energy.total() * 1e-3);
  for (hwsim::ZeroGating g : {hwsim::ZeroGating::ClockGate, hwsim::ZeroGating::Skip}) {
    a.zero_gating = g;
    const hwsim::SimResult on = hwsim::simulate(n, a, tiny_tech(), images.data(), nullptr, 3);
    EXPECT_LT(on.per_image[1].energy.total(), on.per_image[0].energy.total()) << hwsim::zero_gating_name(g);
    EXPECT_LT(on.per_image[0].energy.total(), on.per_image[2].energy.total()) << hwsim::zero_gating_name(g);
    // An image without zero pixels: skip costs what the ungated design costs; clock_gate still
    // holds the product of fc1's zero weight code.
    if (g == hwsim::ZeroGating::Skip) {
      EXPECT_DOUBLE_EQ(on.per_image[2].energy.total(), off.cost.energy.total());
    } else {
      EXPECT_LT(on.per_image[2].energy.total(), off.cost.energy.total());
    }
    EXPECT_DOUBLE_EQ(on.cost.energy.total(), off.cost.energy.total());
    double mean = 0;
    for (const hwsim::ImageCost& c : on.per_image) mean += c.energy.total() / 3 * 1e-3;
    EXPECT_NEAR(on.band.nominal.energy_nj, mean, 1e-12);
  }
}

// The values of a gnuplot data file written by write_reports ("name" value per line).
std::vector<double> plot_values(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<double> v;
  for (std::string line; std::getline(in, line);) v.push_back(std::stod(line.substr(line.rfind(' ') + 1)));
  return v;
}

// The energy plots show a gated design as it runs (the mean over the images, per component and
// per stage) and a design without gating by its data-independent figures.
TEST(ZeroGating, EnergyPlotsShowThePerImageMeanWithGating) {
  const model::Network n = tiny_network();
  const std::vector<uint8_t> images = {10, 0, 3, 7, 0, 0, 3, 7, 1, 2, 3, 4};
  const std::string dir = std::string(BITBLOCK_BINARY_DIR) + "/test_hwsim_gated_plots";
  hwsim::Arch a = tiny_arch();
  for (hwsim::ZeroGating g : {hwsim::ZeroGating::None, hwsim::ZeroGating::Skip}) {
    a.zero_gating = g;
    const hwsim::SimResult r = hwsim::simulate(n, a, tiny_tech(), images.data(), nullptr, 3);
    hwsim::write_reports(dir, r, n, a, tiny_tech(), {"tiny.bbm", "mnist"});
    double mean_nj = 0, mean_mac_nj = 0;
    std::vector<double> mean_stage_nj(n.stages.size(), 0.0);
    for (const hwsim::ImageCost& c : r.per_image) {
      mean_nj += c.energy.total() * 1e-3 / 3;
      mean_mac_nj += c.energy.mac * 1e-3 / 3;
      for (size_t k = 0; k < n.stages.size(); ++k) mean_stage_nj[k] += c.stages[k].total() * 1e-3 / 3;
    }
    const std::vector<double> comp = plot_values(dir + "/energy_components.dat");
    const std::vector<double> stages = plot_values(dir + "/energy_stages.dat");
    ASSERT_EQ(comp.size(), 10u);
    ASSERT_EQ(stages.size(), n.stages.size());
    double comp_sum = 0;
    for (double v : comp) comp_sum += v;
    const char* name = hwsim::zero_gating_name(g);
    if (g == hwsim::ZeroGating::None) {
      EXPECT_NEAR(comp_sum, r.cost.energy.total() * 1e-3, 1e-5) << name;
      EXPECT_NEAR(comp[4], r.cost.energy.mac * 1e-3, 1e-6) << name;
      for (size_t k = 0; k < stages.size(); ++k) EXPECT_NEAR(stages[k], r.cost.stages[k].energy.total() * 1e-3, 1e-6);
    } else {
      ASSERT_LT(mean_nj, r.cost.energy.total() * 1e-3 - 1e-4);  // the images hold zeros: the plot must move
      EXPECT_NEAR(comp_sum, mean_nj, 1e-5) << name;
      EXPECT_NEAR(comp[4], mean_mac_nj, 1e-6) << name;
      for (size_t k = 0; k < stages.size(); ++k) EXPECT_NEAR(stages[k], mean_stage_nj[k], 1e-6) << k;
    }
  }
}

// --sweep and --sensitivity price a gated design on the images: each point or lever end equals
// simulate's per-image mean on that arch (energy, and throughput from the mean cycles), not the
// data-independent cost; without images (or without gating) they keep that cost.
TEST(ZeroGating, SweepAndSensitivityPriceGatedDesignsOnTheImages) {
  const model::Network n = tiny_network();
  const std::vector<uint8_t> images = {10, 0, 3, 7, 0, 0, 3, 7, 1, 2, 3, 4};
  const hwsim::ImageSet set{images.data(), 3};
  hwsim::Arch a = tiny_arch();
  const double ungated_nj = hwsim::estimate_cost(a, tiny_tech(), n, hwsim::count_events(n, a)).energy.total() * 1e-3;
  a.zero_gating = hwsim::ZeroGating::Skip;
  auto mean_of = [&](const hwsim::Arch& arch, double* cycles) {
    const hwsim::SimResult r = hwsim::simulate(n, arch, tiny_tech(), images.data(), nullptr, 3);
    *cycles = 0;
    for (const hwsim::ImageCost& c : r.per_image) *cycles += double(c.total_cycles) / 3;
    return r.band.nominal.energy_nj;
  };
  double cycles = 0;
  const double gated_nj = mean_of(a, &cycles);
  ASSERT_LT(gated_nj, ungated_nj);

  hwsim::Arch wide = a;
  wide.lanes = 4;
  double wide_cycles = 0;
  const double wide_nj = mean_of(wide, &wide_cycles);
  const std::vector<hwsim::SweepPoint> points =
      hwsim::run_sweep(n, a, tiny_tech(), {hwsim::parse_sweep("lanes=" + std::to_string(a.lanes) + ",4")}, set);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_NEAR(points[0].energy_nj, gated_nj, 1e-12);
  EXPECT_NEAR(points[0].classifications_per_s, a.clock_mhz * 1e6 / cycles, 1e-6);
  EXPECT_NEAR(points[0].latency_us, cycles * a.clock_ns() / 1000.0, 1e-12);
  EXPECT_NEAR(points[1].energy_nj, wide_nj, 1e-12);
  EXPECT_NEAR(points[1].latency_us, wide_cycles * a.clock_ns() / 1000.0, 1e-12);
  EXPECT_DOUBLE_EQ(hwsim::run_sweep(n, a, tiny_tech(), {hwsim::parse_sweep("lanes=2")})[0].energy_nj,
                   hwsim::estimate_cost(a, tiny_tech(), n, hwsim::count_events(n, a)).energy.total() * 1e-3);

  const hwsim::Sensitivity s = hwsim::run_sensitivity(n, a, tiny_tech(), set);
  EXPECT_NEAR(s.base_nj, gated_nj, 1e-12);
  ASSERT_EQ(s.levers.size(), 15u);  // the 14 of the data-independent run and zero_gating
  for (const hwsim::LeverResult& l : s.levers) {
    if (l.lever == "lanes") {
      EXPECT_NEAR(l.high.energy_nj, wide_nj, 1e-12);
    }
    if (l.lever != "zero_gating") continue;
    EXPECT_NEAR(l.low.energy_nj, ungated_nj, 1e-12);
    EXPECT_NEAR(l.high.energy_nj, gated_nj, 1e-12);
  }
  EXPECT_EQ(hwsim::run_sensitivity(n, a, tiny_tech()).levers.size(), 14u);
}

TEST(ZeroGating, SkipWithoutZerosEqualsTheScheduleOnRandomModels) {
  // A conv (2 x 8 x 8 input, 3 x 3 kernel: 18 columns in 2 x 3 blocks) and dense stages fed codes
  // that are never zero: skip changes nothing, whatever the lanes, word, input buffer and weight
  // reuse (block columns divide the inputs, so no ragged column takes a slot).
  const model::Network n =
      random_model({2, 8, 8}, model::InputMode::Pixel,
                   {stage_spec(model::OpKind::Conv, 5, 3, 2, 3, 0.6, model::ActKind::Unsigned, 2),
                    stage_spec(model::OpKind::Dense, 19, 3, 3, 4, 0.5, model::ActKind::Sign, 1),
                    stage_spec(model::OpKind::Dense, 7, 3, 1, 1, 0.7, model::ActKind::None, 32)},
                   77)
          .net;
  const hwsim::ZeroModel z = hwsim::zero_model(n);
  for (int lanes : {1, 3, 16}) {
    for (int word : {8, 24, 64}) {
      hwsim::Arch a = tiny_arch();
      a.zero_gating = hwsim::ZeroGating::Skip;
      a.lanes = lanes;
      a.max_weight_bits = 8;
      a.accumulator_bits = 32;
      a.accumulators = 4096;
      a.weight_sram = sram(2, word, 1 << 20);
      a.act_sram = sram(2, 32, 1 << 16);
      a.input_buffer = word == 24;
      a.positions_per_pass = lanes == 3 ? 5 : 1;
      const std::vector<hwsim::EventCounts> base = hwsim::count_events(n, a);
      for (size_t k = 0; k < n.stages.size(); ++k) {
        const kernels::BsrLayout& l = n.stages[k].weights.layout;
        ASSERT_EQ(l.cols % l.block_cols, 0);
        const int64_t P = n.stages[k].positions();
        const std::vector<int16_t> x(static_cast<size_t>(l.cols * P), 1);
        EXPECT_TRUE(hwsim::image_stage_events(n, k, a, z, base[k], x.data(), P) == base[k])
            << "stage " << k << " lanes " << lanes << " word " << word;
      }
    }
  }
}

TEST(ZeroGating, SpreadPercentiles) {
  const hwsim::Spread s = hwsim::spread({4, 1, 3, 2, 5});
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_DOUBLE_EQ(s.p5, 1.2);   // 0.05 x 4 = 0.2 between 1 and 2
  EXPECT_DOUBLE_EQ(s.p95, 4.8);
}

}  // namespace
}  // namespace bitblock::testing
