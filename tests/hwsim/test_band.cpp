// The technology band: each constant's end against the cost model with that constant changed by
// hand, the arch moved to the end's supply floor and clock limit, low <= nominal <= high, the
// shipped tech file's band with a source next to every entry, bad band entries named.
#include <gtest/gtest.h>

#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/hwsim/band.hpp"
#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/sensitivity.hpp"
#include "hwsim/tiny_design.hpp"

namespace bitblock::testing {
namespace {

const std::string kTech = std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/tech/40nm.yaml";

double energy_pj(const hwsim::Arch& a, const hwsim::Tech& t) {
  const model::Network n = tiny_network();
  return hwsim::estimate_cost(a, t, n, hwsim::count_events(n, a)).energy.total();
}

hwsim::EnergyBand band(const hwsim::Arch& a, const hwsim::Tech& t) {
  const model::Network n = tiny_network();
  return hwsim::energy_band(n, a, t, {hwsim::count_events(n, a)});
}

hwsim::Range range(double low, double high) { return {low, high, true}; }

TEST(Band, WithoutBandEveryEndIsNominal) {
  const hwsim::EnergyBand b = band(tiny_arch(), tiny_tech());
  EXPECT_DOUBLE_EQ(b.low.energy_nj, energy_pj(tiny_arch(), tiny_tech()) * 1e-3);
  EXPECT_DOUBLE_EQ(b.high.energy_nj, b.low.energy_nj);
  EXPECT_DOUBLE_EQ(b.nominal.energy_nj, b.low.energy_nj);
}

TEST(Band, SramAndFullAdderEnds) {
  const hwsim::Arch a = tiny_arch();
  hwsim::Tech t = tiny_tech();
  const hwsim::CostReport nom = hwsim::estimate_cost(a, t, tiny_network(), hwsim::count_events(tiny_network(), a));
  const double sram = nom.energy.weight_sram + nom.energy.index_sram + nom.energy.param_sram + nom.energy.act_sram;
  t.band.sram_energy_scale = range(1.0, 2.5);
  hwsim::EnergyBand b = band(a, t);
  EXPECT_DOUBLE_EQ(b.low.energy_nj, nom.energy.total() * 1e-3);
  EXPECT_NEAR(b.high.energy_nj, (nom.energy.total() + 1.5 * sram) * 1e-3, 1e-12);
  // Full adder 0.004 -> 0.002 pJ: MACs and requantization halve, and control (50% of datapath
  // logic) with them; registers do not change.
  t.band = {};
  t.band.full_adder_pj = range(0.002, 0.008);
  b = band(a, t);
  const double arith = nom.energy.mac + nom.energy.requant;
  EXPECT_NEAR(b.low.energy_nj, (nom.energy.total() - 0.5 * arith * 1.5) * 1e-3, 1e-12);
  EXPECT_NEAR(b.high.energy_nj, (nom.energy.total() + 1.0 * arith * 1.5) * 1e-3, 1e-12);
  EXPECT_DOUBLE_EQ(hwsim::tech_at(t, hwsim::BandEnd::High).logic.fa_pj, 0.008);
}

TEST(Band, SupplyFloorAlphaAndControlMoveTheArch) {
  hwsim::Arch a = tiny_arch();
  a.supply_v = 0.8;
  a.clock_mhz = 370;  // under the parameter SRAM's 377.3 MHz at 0.8 V (alpha 1.5)
  hwsim::Tech t = tiny_tech();
  t.band.vmin_v = range(0.5, 0.5);
  t.band.vmin_high_cell_nominal = true;  // itrs-lop: 1 V
  hwsim::Arch hi = hwsim::arch_at(a, t, hwsim::BandEnd::High);
  EXPECT_DOUBLE_EQ(hi.supply_v, 1.0);
  EXPECT_DOUBLE_EQ(hi.clock_mhz, 370);
  EXPECT_DOUBLE_EQ(hwsim::arch_at(a, t, hwsim::BandEnd::Low).supply_v, 0.8);
  hwsim::Arch at_1v = a;
  at_1v.supply_v = 1.0;
  EXPECT_NEAR(band(a, t).high.energy_nj, energy_pj(at_1v, t) * 1e-3, 1e-12);
  // alpha 2: the 2 ns parameter SRAM (Vth 0.3) reaches 500 x (0.5 / 0.7)^2 / 0.8 = 318.9 MHz at
  // 0.8 V, so the clock drops there; alpha 1 leaves it.
  t.band = {};
  t.band.alpha = range(1.0, 2.0);
  hi = hwsim::arch_at(a, t, hwsim::BandEnd::High);
  EXPECT_NEAR(hi.clock_mhz, 500 * (0.25 / 0.49) / 0.8, 1e-9);
  EXPECT_DOUBLE_EQ(hwsim::arch_at(a, t, hwsim::BandEnd::Low).clock_mhz, 370);
  at_1v = a;
  at_1v.clock_mhz = hi.clock_mhz;
  EXPECT_NEAR(band(a, t).high.energy_nj, energy_pj(at_1v, hwsim::tech_at(t, hwsim::BandEnd::High)) * 1e-3, 1e-12);
  EXPECT_GT(band(a, t).high.energy_nj, band(a, t).nominal.energy_nj);  // slower clock: longer leakage
  // Control overhead: the band's ends, never past the arch's own 0.5.
  t.band = {};
  t.band.control_overhead = range(0.1, 0.3);
  EXPECT_DOUBLE_EQ(hwsim::arch_at(a, t, hwsim::BandEnd::Low).control_overhead, 0.1);
  EXPECT_DOUBLE_EQ(hwsim::arch_at(a, t, hwsim::BandEnd::High).control_overhead, 0.5);
}

TEST(Band, LowNominalHighOrderedWithEveryConstant) {
  hwsim::Arch a = tiny_arch();
  a.supply_v = 0.8;
  a.clock_mhz = 370;
  hwsim::Tech t = tiny_tech();
  t.band = {range(0.002, 0.008), range(1.0, 2.5), range(0.5, 0.5), true, range(1.0, 2.0), range(0.0, 0.9)};
  const hwsim::EnergyBand b = band(a, t);
  EXPECT_LT(b.low.energy_nj, b.nominal.energy_nj);
  EXPECT_LT(b.nominal.energy_nj, b.high.energy_nj);
  EXPECT_DOUBLE_EQ(b.nominal.energy_nj, energy_pj(a, t) * 1e-3);
}

TEST(Band, ShippedTechHasASourcedBand) {
  const hwsim::Tech t = hwsim::load_tech(kTech);
  const hwsim::TechBand& b = t.band;
  for (const hwsim::Range* r : {&b.full_adder_pj, &b.sram_energy_scale, &b.vmin_v, &b.alpha, &b.control_overhead}) {
    EXPECT_TRUE(r->given);
    EXPECT_LE(r->low, r->high);
  }
  EXPECT_LE(b.full_adder_pj.low, t.logic.fa_pj);
  EXPECT_GE(b.full_adder_pj.high, t.logic.fa_pj);
  EXPECT_NEAR(b.full_adder_pj.high, 0.21 / 32 * 45 / 40, 1e-5);  // Aladdin's 40 nm 32-bit adder
  EXPECT_LE(b.alpha.low, t.alpha);
  EXPECT_GE(b.alpha.high, t.alpha);
  EXPECT_LE(b.vmin_v.low, t.sram_vmin_v);
  EXPECT_TRUE(b.vmin_high_cell_nominal);
  // Every entry of the band section names its source in the comments above it.
  const std::string text = read_file(kTech);
  const std::string section = text.substr(text.find("\nband:"));
  for (const char* source : {"Horowitz", "Aladdin", "CACTI", "Boley", "Sakurai", "No published breakdown"})
    EXPECT_NE(section.find(source), std::string::npos) << source;
}

TEST(Band, BadBandEntriesAreNamed) {
  const std::string text = read_file(kTech);
  const std::string dir = std::string(BITBLOCK_BINARY_DIR) + "/test_hwsim_band";
  make_dirs(dir);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    write_file_atomic(dir + "/40nm.yaml", t);
    write_file_atomic(dir + "/sram40nm.csv", read_file(std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/tech/sram40nm.csv"));
    return dir + "/40nm.yaml";
  };
  expect_input_error([&] { hwsim::load_tech(with("alpha: {low: 1.0, high: 2.0}", "alpha: {low: 2.0, high: 1.0}")); },
                     "band.alpha: low must not exceed high");
  expect_input_error([&] { hwsim::load_tech(with("alpha: {low: 1.0, high: 2.0}", "alpha: {low: 1.5, high: 2.0}")); },
                     "band.alpha: the nominal value");
  expect_input_error(
      [&] { hwsim::load_tech(with("vmin_v: {low: 0.70, high: cell_nominal}", "vmin_v: {low: 0.70, high: max}")); },
      "band.vmin_v.high");
  expect_input_error([&] { hwsim::load_tech(with("control_overhead: {low: 0.0, high: 0.3}", "control_overhead: {low: 0.0}")); },
                     "band.control_overhead.high");
}

TEST(Band, SensitivityVariesTechConstantsAlone) {
  hwsim::Tech t = tiny_tech();
  t.band.full_adder_pj = range(0.002, 0.008);
  t.band.sram_energy_scale = range(1.0, 2.5);
  const hwsim::Arch a = tiny_arch();
  const hwsim::Sensitivity s = hwsim::run_sensitivity(tiny_network(), a, t);
  EXPECT_EQ(s.levers.size(), 16u);
  hwsim::Tech only_fa = t;
  only_fa.band.sram_energy_scale = {};
  for (const hwsim::LeverResult& l : s.levers) {
    if (l.lever != "tech: full-adder energy") continue;
    EXPECT_EQ(l.low.label, "0.00200 pJ");
    EXPECT_DOUBLE_EQ(l.low.energy_nj, band(a, only_fa).low.energy_nj);
    EXPECT_DOUBLE_EQ(l.high.energy_nj, band(a, only_fa).high.energy_nj);
  }
}

}  // namespace
}  // namespace bitblock::testing
