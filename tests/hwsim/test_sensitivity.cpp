// hwsim --sensitivity: each lever's ends against the cost model run on the changed arch, the
// hand-computed clock-gating end, invalid ends kept with their reason, order by swing.
#include <gtest/gtest.h>

#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/sensitivity.hpp"
#include "hwsim/tiny_design.hpp"

namespace bitblock::testing {
namespace {

double energy_nj(const hwsim::Arch& a) {
  const model::Network n = tiny_network();
  return hwsim::estimate_cost(a, tiny_tech(), n, hwsim::count_events(n, a)).energy.total() * 1e-3;
}

const hwsim::LeverResult& lever(const hwsim::Sensitivity& s, const std::string& name) {
  for (const hwsim::LeverResult& l : s.levers)
    if (l.lever == name) return l;
  ADD_FAILURE() << "no lever " << name;
  return s.levers.front();
}

TEST(Sensitivity, LeversOfTheTinyDesign) {
  hwsim::Arch base = tiny_arch();
  base.clock_mhz = 200;
  const hwsim::Sensitivity s = hwsim::run_sensitivity(tiny_network(), base, tiny_tech());
  EXPECT_DOUBLE_EQ(s.base_nj, energy_nj(base));
  EXPECT_EQ(s.levers.size(), 14u);
  for (size_t i = 1; i < s.levers.size(); ++i) EXPECT_GE(s.levers[i - 1].swing_nj(), s.levers[i].swing_nj());

  // Clock gating off: every one of the 52 datapath flops clocked on each of the 13 cycles instead
  // of the 275 bits written, at 0.01 pJ, plus the control overhead (50%) on that difference.
  const hwsim::LeverResult& gating = lever(s, "clock_gating");
  EXPECT_EQ(gating.low.label, "on");
  EXPECT_DOUBLE_EQ(gating.low.energy_nj, s.base_nj);
  EXPECT_NEAR(gating.high.energy_nj - s.base_nj, 1.5 * (52 * 13 - (7 * 16 + 35)) * 0.01 * 1e-3, 1e-12);

  // Supply: 0.50 V (the tiny SRAM minimum) cannot run the 200 MHz clock: the parameter SRAM
  // reaches 500 x (0.2^1.5 / 0.5) / 0.7^1.5 = 152.7 MHz there. The high end is the lop nominal 1 V.
  const hwsim::LeverResult& supply = lever(s, "supply_v");
  EXPECT_FALSE(supply.low.valid);
  EXPECT_NE(supply.low.problem.find("clock_mhz: 200 MHz is above the 152 MHz"), std::string::npos) << supply.low.problem;
  EXPECT_DOUBLE_EQ(supply.high.energy_nj, s.base_nj);
  EXPECT_EQ(supply.swing_nj(), 0.0);

  // The others equal the cost model on the changed arch.
  hwsim::Arch a = base;
  a.lanes = 4;
  EXPECT_DOUBLE_EQ(lever(s, "lanes").high.energy_nj, energy_nj(a));
  a = base;
  a.control_overhead = 0.3;
  EXPECT_DOUBLE_EQ(lever(s, "control_overhead").high.energy_nj, energy_nj(a));
  // lstp logic (Vth 0.5, nominal 1.2 V, I_on 5e-4 A/um) at 1 V: 1000 MHz x 5e-4 x (0.5 / 0.7)^1.5
  // / 2e-3 = 150.9 MHz, too slow for 200 MHz.
  const hwsim::LeverResult& logic = lever(s, "logic_cell_type");
  EXPECT_FALSE(logic.low.valid);
  EXPECT_NE(logic.low.problem.find("above the 150 MHz the datapath logic (itrs-lstp)"), std::string::npos)
      << logic.low.problem;
  a = base;
  a.clock_mhz = 500;  // the limit at 1 V
  EXPECT_DOUBLE_EQ(lever(s, "clock_mhz").high.energy_nj, energy_nj(a));

  const std::string dir = std::string(BITBLOCK_BINARY_DIR) + "/test_hwsim_sensitivity";
  hwsim::write_sensitivity(dir, s);
  const std::string csv = read_file(dir + "/sensitivity.csv");
  EXPECT_EQ(csv.rfind("lever,low,low_energy_nj,high,high_energy_nj,base_energy_nj,swing_nj,problem\n", 0), 0u);
  EXPECT_NE(csv.find("supply_v,\"0.50 V\",,\"1.00 V\""), std::string::npos) << csv;
}

}  // namespace
}  // namespace bitblock::testing
