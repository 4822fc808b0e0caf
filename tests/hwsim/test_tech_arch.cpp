// Technology tables (SRAM interpolation) and architecture files (validation, fit checks).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/report.hpp"
#include "bitblock/hwsim/supply.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

const std::string kTech = std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/tech/40nm.yaml";
const std::string kArchDir = std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/arch/";

std::string temp(const std::string& name) { return std::string(BITBLOCK_BINARY_DIR) + "/test_hwsim_" + name; }

void expect_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    FAIL() << "no error (expected '" << fragment << "')";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Tech, LoadsTheShippedFiles) {
  const hwsim::Tech t = hwsim::load_tech(kTech);
  EXPECT_EQ(t.sram.size(), 98u);
  EXPECT_DOUBLE_EQ(t.sram_vmin_v, 0.70);
  EXPECT_DOUBLE_EQ(t.retention_fraction, 0.65);
  EXPECT_DOUBLE_EQ(t.alpha, 1.3);
  EXPECT_DOUBLE_EQ(t.logic.fa_pj, 0.00375);
  EXPECT_DOUBLE_EQ(t.logic.fa_um2, 8.687);
  EXPECT_DOUBLE_EQ(t.check.mul32_pj, 12.68);
  // CACTI's 40 nm blend, 8/13 of 45 nm + 5/13 of 32 nm: itrs-lstp Vdd 1.1 / 1.0 -> 1.0615 V,
  // Vth 0.50245 / 0.513 -> 0.50651 V; itrs-lop Vdd 0.7 / 0.6 -> 0.6615 V; hp Vth 0.18035 /
  // 0.21835 -> 0.19497 V.
  EXPECT_NEAR(hwsim::device(t, "itrs-lstp").vdd_v, 1.061538, 1e-6);
  EXPECT_NEAR(hwsim::device(t, "itrs-lstp").vth_v, 0.506508, 1e-6);
  EXPECT_NEAR(hwsim::device(t, "itrs-lop").vdd_v, 0.661538, 1e-6);
  EXPECT_NEAR(hwsim::device(t, "hp").vth_v, 0.194965, 1e-6);
  EXPECT_NEAR(hwsim::device(t, "itrs-lstp").ioff_a_per_um, 8.0 / 13 * 9.02e-11 + 5.0 / 13 * 1.69e-10, 1e-17);
}

TEST(Tech, SramEqualsTableAtTablePoints) {
  const hwsim::Tech t = hwsim::load_tech(kTech);
  for (const hwsim::SramPoint& p : t.sram) {
    const hwsim::SramMacro m = hwsim::sram_macro(t, p.capacity_bytes, p.width_bits, p.cell_type);
    EXPECT_DOUBLE_EQ(m.read_pj, p.read_pj) << p.capacity_bytes << " " << p.width_bits << " " << p.cell_type;
    EXPECT_DOUBLE_EQ(m.write_pj, p.write_pj);
    EXPECT_DOUBLE_EQ(m.leakage_mw, p.leakage_mw);
    EXPECT_DOUBLE_EQ(m.area_mm2, p.area_mm2);
    EXPECT_FALSE(m.extrapolated);
  }
  // Straight from the CSV: 8 KiB x 64 bit itrs-lop reads 2.4904 pJ; leakage 0.55953 + 0.25375 mW.
  const hwsim::SramMacro m = hwsim::sram_macro(t, 8192, 64, "itrs-lop");
  EXPECT_DOUBLE_EQ(m.read_pj, 2.4904);
  EXPECT_DOUBLE_EQ(m.leakage_mw, 0.55953 + 0.25375);
}

TEST(Tech, SramBetweenPointsLiesBetweenNeighbours) {
  const hwsim::Tech t = hwsim::load_tech(kTech);
  // Capacity: 12 KiB lies log2(1.5) = 0.585 of the way from 8 KiB to 16 KiB in log2(capacity).
  const hwsim::SramMacro lo = hwsim::sram_macro(t, 8192, 32, "itrs-lstp");
  const hwsim::SramMacro hi = hwsim::sram_macro(t, 16384, 32, "itrs-lstp");
  const hwsim::SramMacro mid = hwsim::sram_macro(t, 12288, 32, "itrs-lstp");
  const double f = std::log2(1.5);
  EXPECT_NEAR(mid.read_pj, lo.read_pj + f * (hi.read_pj - lo.read_pj), 1e-12);
  EXPECT_GT(mid.read_pj, lo.read_pj);
  EXPECT_LT(mid.read_pj, hi.read_pj);
  EXPECT_GT(mid.area_mm2, lo.area_mm2);
  EXPECT_LT(mid.area_mm2, hi.area_mm2);
  EXPECT_FALSE(mid.extrapolated);
  // Width: 48 bits, half way between 32 and 64 at 4 KiB.
  const hwsim::SramMacro w32 = hwsim::sram_macro(t, 4096, 32, "itrs-lop");
  const hwsim::SramMacro w64 = hwsim::sram_macro(t, 4096, 64, "itrs-lop");
  const hwsim::SramMacro w48 = hwsim::sram_macro(t, 4096, 48, "itrs-lop");
  EXPECT_NEAR(w48.read_pj, 0.5 * (w32.read_pj + w64.read_pj), 1e-12);
  EXPECT_NEAR(w48.write_pj, 0.5 * (w32.write_pj + w64.write_pj), 1e-12);
}

TEST(Tech, ExtrapolationIsFlagged) {
  const hwsim::Tech t = hwsim::load_tech(kTech);
  EXPECT_TRUE(hwsim::sram_macro(t, 1 << 20, 64, "itrs-lop").extrapolated);
  EXPECT_TRUE(hwsim::sram_macro(t, 256, 64, "itrs-lop").extrapolated);
  EXPECT_TRUE(hwsim::sram_macro(t, 4096, 512, "itrs-lop").extrapolated);
  expect_error([&] { hwsim::sram_macro(t, 4096, 64, "finfet"); }, "finfet");
}

TEST(Tech, FullAdderCounts) {
  // 3-bit code (sign + 2 magnitude bits) x 8-bit activation: one row of 8 full adders.
  EXPECT_EQ(hwsim::shift_add_fa(3, 8), 8);
  EXPECT_EQ(hwsim::shift_add_fa(4, 9), 18);
  EXPECT_EQ(hwsim::shift_add_fa(8, 8), 48);
  EXPECT_EQ(hwsim::shift_add_fa(2, 8), 0);  // ternary: no adder
  EXPECT_EQ(hwsim::shift_add_fa(1, 8), 0);  // binary: add/subtract in the accumulator
  EXPECT_EQ(hwsim::shift_add_fa(3, 1), 0);  // sign activation
  EXPECT_EQ(hwsim::array_mul_fa(8, 8), 56);
  EXPECT_EQ(hwsim::array_mul_fa(24, 32), 31 * 24);
  // 8 inputs of 11 bits: 4 x 11 + 2 x 12 + 1 x 13; 3 inputs of 4 bits: 1 x 4 + 1 x 5.
  EXPECT_EQ(hwsim::adder_tree_fa(8, 11), 81);
  EXPECT_EQ(hwsim::adder_tree_fa(3, 4), 9);
  EXPECT_EQ(hwsim::adder_tree_fa(1, 4), 0);
}

TEST(Tech, SmallOperandEnergiesAgainstHorowitz) {
  const hwsim::Tech t = hwsim::load_tech(kTech);
  // The full-adder model rebuilds Horowitz's 8-bit multiply (0.2 pJ, 45 nm, 0.9 V) from his 8-bit
  // add: an 8 x 8 array of 56 full adders at 0.03 / 8 pJ = 0.21 pJ, within 10%.
  const double mul8 = hwsim::array_mul_fa(8, 8) * t.logic.fa_pj;
  EXPECT_NEAR(mul8 / t.check.mul8_pj, 1.0, 0.1);
  // At 40 nm and 0.7 V: 0.00375 x 40 / 45 x (0.7 / 0.9)^2 pJ.
  EXPECT_NEAR(hwsim::fa_pj(t.logic, 0.7), 0.00375 * 40.0 / 45.0 * 0.49 / 0.81, 1e-15);
  EXPECT_NEAR(hwsim::fa_pj(t.logic, 0.9), 0.00375 * 40.0 / 45.0, 1e-15);
}

TEST(Tech, SupplyModels) {
  const hwsim::Tech t = hwsim::load_tech(kTech);
  EXPECT_DOUBLE_EQ(hwsim::dynamic_scale(0.8, 1.0), 0.64);
  EXPECT_DOUBLE_EQ(hwsim::leakage_scale(0.8, 1.0), 0.8);
  // Alpha-power law, alpha 2, Vth 0.5: at 1.0 V vs 1.5 V, (0.5^2 / 1) / (1^2 / 1.5) = 0.375.
  EXPECT_NEAR(hwsim::speed_ratio(1.0, 1.5, 0.5, 2.0), 0.375, 1e-15);
  EXPECT_EQ(hwsim::speed_ratio(0.4, 1.5, 0.5, 2.0), 0.0);
  // The logic library runs at its 1000 MHz on its own device at its characterisation supply.
  EXPECT_NEAR(hwsim::logic_fmax_mhz(t, "hp", 0.9), 1000.0, 1e-9);
  EXPECT_LT(hwsim::logic_fmax_mhz(t, "itrs-lstp", 0.9), hwsim::logic_fmax_mhz(t, "hp", 0.9));
  // An SRAM macro reaches 1 / cycle time at its flavour's nominal supply, less below it.
  const hwsim::SramMacro m = hwsim::sram_macro(t, 8192, 64, "itrs-lstp");
  const double vdd = hwsim::device(t, "itrs-lstp").vdd_v;
  EXPECT_NEAR(hwsim::sram_fmax_mhz(t, m, "itrs-lstp", vdd), 1000.0 / 0.82733, 1e-9);
  const double vth = hwsim::device(t, "itrs-lstp").vth_v;
  EXPECT_NEAR(hwsim::sram_fmax_mhz(t, m, "itrs-lstp", 0.8),
              1000.0 / 0.82733 * (std::pow(0.8 - vth, 1.3) / 0.8) / (std::pow(vdd - vth, 1.3) / vdd), 1e-9);
  // Logic leakage scales with the off-current ratio of the flavours.
  EXPECT_NEAR(hwsim::logic_leakage_mw(t, "hp", 1000, hwsim::device(t, "hp").vdd_v), 1000 * 8.094e-6, 1e-15);
  EXPECT_NEAR(hwsim::logic_leakage_mw(t, "itrs-lstp", 1000, vdd) / hwsim::logic_leakage_mw(t, "hp", 1000, hwsim::device(t, "hp").vdd_v),
              hwsim::device(t, "itrs-lstp").ioff_a_per_um / hwsim::device(t, "hp").ioff_a_per_um, 1e-12);
}

TEST(Tech, BadFilesNameFileAndKey) {
  const std::string text = read_file(kTech);
  const std::string bad = temp("bad_tech.yaml");
  const std::string table = "table: " + std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/tech/sram40nm.csv";
  std::string t = text;
  t.replace(t.find("table: sram40nm.csv"), 19, table);
  t.replace(t.find("full_adder_area_um2"), 19, "full_adder_areaXum2");
  write_file_atomic(bad, t);
  expect_error([&] { hwsim::load_tech(bad); }, "logic.full_adder_areaXum2: unknown key");
  std::string t3 = text;
  t3.replace(t3.find("table: sram40nm.csv"), 19, table);
  const std::string lstp_vth = "vth_v: [0.50245, 0.513]";
  t3.replace(t3.find(lstp_vth), lstp_vth.size(), "vth_v: [1.50245, 1.513]");
  write_file_atomic(bad, t3);
  expect_error([&] { hwsim::load_tech(bad); }, "devices.itrs-lstp: threshold voltage must lie below the supply");
  write_file_atomic(temp("sram40nm.csv"), "capacity_bytes,width_bits\n");
  std::string t2 = text;
  t2.replace(t2.find("table: sram40nm.csv"), 19, "table: " + temp("sram40nm.csv"));
  write_file_atomic(bad, t2);
  expect_error([&] { hwsim::load_tech(bad); }, "line 1: expected the header");
}

TEST(Arch, ShippedFilesLoad) {
  const hwsim::Arch a = hwsim::load_arch(kArchDir + "paper_mlp.yaml");
  EXPECT_EQ(a.lanes, 16);
  EXPECT_EQ(a.weight_sram.bank_bytes(), 65536);
  // Every shipped file loads and its clock runs at its supply.
  const hwsim::Tech t = hwsim::load_tech(kTech);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kArchDir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    const hwsim::Arch arch = hwsim::load_arch(entry.path().string());
    EXPECT_NO_THROW(hwsim::check_supply(arch, t, hwsim::sram_macros(arch, t))) << entry.path();
  }
  EXPECT_EQ(files, 10);
}

// cifar10_small.yaml holds the network of experiments/configs/cifar10_small.yaml (8-bit dense first
// layer on centred pixels, 8-bit ReLU activations, dense output layer) at the cifar10_small_paper
// points with the largest weights (binary dense: 102,784 bytes), the largest block index (binary
// 8x8 blocks at ratio 1.5) and 3-bit 8x8 blocks at ratio 4, and not the network at 1.5x width
// (binary dense weights ~2.25x larger).
TEST(Arch, Cifar10SmallHoldsItsSweep) {
  auto vgg = [](int w, int bits, int block, double keep) {
    using model::ActKind;
    using model::OpKind;
    auto conv = [](int out, int bits, int block, double keep, bool pool) {
      StageSpec s = stage_spec(OpKind::Conv, out, bits, block, block, keep, ActKind::Unsigned, 8);
      if (pool) s.pool = {2, 2, model::PoolPlacement::Codes};
      return s;
    };
    return random_model({3, 32, 32}, model::InputMode::Centered,
                        {conv(w, 8, 1, 1.0, false), conv(w, bits, block, keep, true),
                         conv(2 * w, bits, block, keep, false), conv(2 * w, bits, block, keep, true),
                         conv(4 * w, bits, block, keep, false), conv(4 * w, bits, block, keep, true),
                         stage_spec(OpKind::Dense, 8 * w, bits, block, block, keep, ActKind::Unsigned, 8),
                         stage_spec(OpKind::Dense, 10, bits, 1, 1, 1.0, ActKind::None, 32)},
                        3)
        .net;
  };
  const hwsim::Arch a = hwsim::load_arch(kArchDir + "cifar10_small.yaml");
  EXPECT_NO_THROW(hwsim::check_model_fits(a, vgg(32, 1, 1, 1.0)));
  EXPECT_NO_THROW(hwsim::check_model_fits(a, vgg(32, 1, 8, 1.0 / 1.5)));
  EXPECT_NO_THROW(hwsim::check_model_fits(a, vgg(32, 3, 8, 0.25)));
  expect_error([&] { hwsim::check_model_fits(a, vgg(48, 1, 1, 1.0)); }, "weight_sram.capacity_bytes");
}

// The binary validation chips (docs/hwsim_validation.md section 4) hold the network of
// hwsim/validation/bnn_256x_cifar10.yaml: 2x2 convolutions of `w` channels, padding 1 then 0 at
// each of four resolutions with a max-pool between, 8-bit pixels into binary weights, then
// 4x4xw -> 10 (8x8 blocks, every block kept). At w = 256 its binary weights take 238,080 bytes
// in the weight SRAM layout (7 x 256 x 1024 bits + 256 x 12 + 10 x 4096, each stage padded to
// whole blocks and words); at w = 512 about four times that, more than any of the four chips'
// weight memories (XNE and XNORBIN 256 KiB, Bankman 236 KiB, BinarEye 512 KiB).
TEST(Arch, BinaryValidationChipsHoldTheirNetwork) {
  auto bnn = [](int w) {
    using model::ActKind;
    using model::OpKind;
    auto conv = [w](int padding, bool pool) {
      StageSpec s = stage_spec(OpKind::Conv, w, 1, 8, 8, 1.0, ActKind::Sign, 1);
      s.kernel = 2;
      s.padding = padding;
      if (pool) s.pool = {2, 2, model::PoolPlacement::Acc};
      return s;
    };
    std::vector<StageSpec> specs;
    for (int r = 0; r < 4; ++r) {
      specs.push_back(conv(1, false));
      specs.push_back(conv(0, r < 3));
    }
    specs.push_back(stage_spec(OpKind::Dense, 10, 1, 8, 8, 1.0, ActKind::None, 32));
    return random_model({3, 32, 32}, model::InputMode::Pixel, specs, 5).net;
  };
  const model::Network net = bnn(256);
  ASSERT_EQ(net.stages.back().input.size(), 4 * 4 * 256);
  const hwsim::Tech t = hwsim::load_tech(kTech);
  for (const char* file :
       {"conti2018_xne.yaml", "bahou2018_xnorbin.yaml", "moons2018_binareye.yaml", "bankman2018_bnn.yaml"}) {
    SCOPED_TRACE(file);
    const hwsim::Arch a = hwsim::load_arch(kArchDir + file);
    EXPECT_EQ(a.max_weight_bits, 1);
    EXPECT_EQ(a.zero_gating, hwsim::ZeroGating::None);  // sign codes hold no zero to skip
    EXPECT_NO_THROW(hwsim::check_model_fits(a, net));
    EXPECT_NO_THROW(hwsim::check_supply(a, t, hwsim::sram_macros(a, t)));
    expect_error([&] { hwsim::check_model_fits(a, bnn(512)); }, "weight_sram.capacity_bytes");
  }
}

// The paper point: 0.70 V, 100 MHz; its clock limit at 0.70 V is the itrs-lstp logic's,
// 1000 MHz x (I_on(lstp, 0.70 V) / 0.70) / (I_on(hp, 0.9 V) / 0.9) with I_on alpha-power scaled
// from each flavour's nominal, about 116 MHz.
TEST(Arch, PaperPointClockLimit) {
  const hwsim::Arch a = hwsim::load_arch(kArchDir + "yin2018_mnist_assumed.yaml");
  const hwsim::Tech t = hwsim::load_tech(kTech);
  EXPECT_DOUBLE_EQ(a.supply_v, 0.70);
  EXPECT_EQ(a.weight_sram.macro_bytes(), 4096);
  const hwsim::ClockLimit c = hwsim::clock_limit(a, t, hwsim::sram_macros(a, t));
  const hwsim::Device& lstp = hwsim::device(t, "itrs-lstp");
  const hwsim::Device& hp = hwsim::device(t, "hp");
  const double drive = lstp.ion_a_per_um * std::pow((0.70 - lstp.vth_v) / (lstp.vdd_v - lstp.vth_v), 1.3) / 0.70;
  const double ref = hp.ion_a_per_um * std::pow((0.9 - hp.vth_v) / (hp.vdd_v - hp.vth_v), 1.3) / 0.9;
  EXPECT_NEAR(c.fmax_mhz, 1000.0 * drive / ref, 1e-9);
  EXPECT_NEAR(c.fmax_mhz, 116.0, 1.0);
  EXPECT_EQ(c.limiter, "datapath logic (itrs-lstp)");
  EXPECT_NO_THROW(hwsim::check_supply(a, t, hwsim::sram_macros(a, t)));
  hwsim::Arch fast = a;
  fast.clock_mhz = 150;
  expect_error([&] { hwsim::check_supply(fast, t, hwsim::sram_macros(fast, t)); },
               "clock_mhz: 150 MHz is above the 116 MHz the datapath logic (itrs-lstp) reaches at supply_v 0.70 V");
}

// small.yaml with one edit, written to `name` (tests running at once under ctest -j each use
// their own name).
std::string arch_with(const std::string& from, const std::string& to, const std::string& name = "arch.yaml") {
  std::string text = read_file(kArchDir + "small.yaml");
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  const std::string path = temp(name);
  write_file_atomic(path, text);
  return path;
}

TEST(Arch, ValidationErrors) {
  expect_error([&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: 0")); }, "lanes: 0 outside");
  expect_error([&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: 8\nlane_count: 3")); }, "lane_count: unknown key");
  expect_error([&] { hwsim::load_arch(arch_with("clock_mhz: 100", "")); }, "clock_mhz: missing key");
  // Supplies and clocks outside what the models describe (found by hand: 1e300 V gave a NaN energy
  // with exit 0), and non-positive values, each named with its unit.
  expect_error([&] { hwsim::load_arch(arch_with("clock_mhz: 100", "clock_mhz: 1e-300")); },
               "clock_mhz: 1e-300 is outside 0.001 .. 100000 MHz");
  expect_error([&] { hwsim::load_arch(arch_with("clock_mhz: 100", "clock_mhz: 0")); }, "clock_mhz: 0 must be");
  expect_error([&] { hwsim::load_arch(arch_with("supply_v: 0.7 ", "supply_v: 1e300 ")); },
               "supply_v: 1e+300 V is outside 0 .. 2 V");
  expect_error([&] { hwsim::load_arch(arch_with("supply_v: 0.7 ", "supply_v: -1 ")); },
               "supply_v: -1 must be a finite number > 0");
  expect_error([&] { hwsim::load_arch(arch_with("  banks: 1\n  word_bits: 32\n  capacity_bytes: 32768",
                                                "  banks: 3\n  word_bits: 32\n  capacity_bytes: 32768")); },
               "weight_sram.capacity_bytes: must be a positive multiple of banks");
  expect_error([&] { hwsim::load_arch(arch_with("cell_type: itrs-lop", "cell_type: hp")); }, "cell_type");
  expect_error([&] { hwsim::load_arch(arch_with("accumulator_bits: 24", "accumulator_bits: 64")); }, "accumulator_bits");
  const std::string weight_mem = "  banks: 1\n  word_bits: 32\n  capacity_bytes: 32768";
  expect_error([&] { hwsim::load_arch(arch_with(weight_mem, weight_mem + "\n  idle: sleep")); },
               "weight_sram.idle: 'sleep' is not on, retention or power_gate");
  expect_error([&] { hwsim::load_arch(arch_with(weight_mem, weight_mem + "\n  cell_type: hp")); },
               "weight_sram.cell_type: 'hp' is not itrs-lop or itrs-lstp");
  expect_error([&] { hwsim::load_arch(arch_with(weight_mem, weight_mem + "\n  macros_per_bank: 3")); },
               "weight_sram.capacity_bytes: must be a positive multiple of banks x macros_per_bank (3)");
  expect_error([&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: 8\nmultiplier: booth")); },
               "multiplier: 'booth' is not shift_add or array");
  expect_error([&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: 8\nclock_gating: sometimes")); },
               "clock_gating: expected true or false");
  expect_error([&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: 8\nlogic_cell_type: finfet")); },
               "logic_cell_type: 'finfet' is not hp, itrs-lop or itrs-lstp");
  const hwsim::Arch levers = hwsim::load_arch(arch_with(
      weight_mem, weight_mem + "\n  macros_per_bank: 4\n  idle: retention\n  cell_type: itrs-lstp"));
  EXPECT_EQ(levers.weight_sram.macros(), 4);
  EXPECT_EQ(levers.weight_sram.macro_bytes(), 8192);
  EXPECT_EQ(levers.weight_sram.idle, hwsim::IdleMode::Retention);
  EXPECT_EQ(hwsim::cell_of(levers, levers.weight_sram), "itrs-lstp");
  EXPECT_EQ(hwsim::cell_of(levers, levers.index_sram), "itrs-lop");
  try {
    hwsim::load_arch(arch_with("lanes: 8", "lanes: 0"));
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(temp("arch.yaml"), 0), 0u) << "error must start with the file: " << e.what();
  }
}

TEST(Arch, DuplicateKeysOddKeysAndDeepNestingAreInputErrors) {
  // yaml-cpp alone keeps the first of two keys (lanes 8 here, not 64) and throws its own
  // exception, not an InputError, for a key that is not a string.
  const std::string name = "arch_hostile.yaml";
  expect_error([&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: 8\nlanes: 64", name)); }, "key 'lanes' appears twice");
  expect_error([&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: 8\n? [a, b]\n: 1", name)); },
               "a map key must be a plain string");
  expect_error(
      [&] { hwsim::load_arch(arch_with("lanes: 8", "lanes: " + std::string(100, '[') + std::string(100, ']'), name)); },
      "nested deeper than 64");
}

TEST(Arch, SweepValuesMustFitTheirFields) {
  // 1e20 lanes used to be cast to int (undefined behaviour) when the sweep applied it.
  expect_error([] { hwsim::parse_sweep("lanes=8,1e20"); }, "--sweep lanes=8,1e20: bad value '1e20'");
  expect_error([] { hwsim::parse_sweep("freq=inf"); }, "bad value 'inf'");
  EXPECT_EQ(hwsim::parse_sweep("lanes=8,2147483647").values.back(), 2147483647.0);
}

TEST(Arch, ModelTooBigForTheMemories) {
  StageSpec s1;
  s1.out = 256;
  s1.bits = 4;
  s1.block_rows = 4;
  s1.block_cols = 4;
  StageSpec s2 = s1;
  s2.out = 10;
  s2.act = model::ActKind::None;
  s1.out = 128;
  const RandomModel m = random_model({1, 16, 16}, model::InputMode::Pixel, {s1, s2}, 3);
  hwsim::Arch a = hwsim::load_arch(kArchDir + "small.yaml");
  EXPECT_NO_THROW(hwsim::check_model_fits(a, m.net));  // 128 x 256 x 4 bits = 16 KiB + 768 B
  // 256 x 256 x 4 bits fill the 32 KiB exactly; stage 1 (20 rows in 5 block-rows of 4 x 64
  // blocks of 4 x 4 x 4 bits = 2560 bytes) pushes it over.
  s1.out = 256;
  StageSpec big = s2;
  big.out = 20;
  const RandomModel m2 = random_model({1, 16, 16}, model::InputMode::Pixel, {s1, big}, 3);
  expect_error([&] { hwsim::check_model_fits(a, m2.net); },
               "weight_sram.capacity_bytes: weight SRAM holds 32768 bytes, model needs 35328 bytes (stage 1): set "
               "weight_sram.capacity_bytes >= 35328");
  a = hwsim::load_arch(kArchDir + "small.yaml");
  a.accumulators = 2;
  expect_error([&] { hwsim::check_model_fits(a, m.net); }, "accumulators: 2 < block height 4 (stage 0 s0)");
  a = hwsim::load_arch(kArchDir + "small.yaml");
  a.accumulator_bits = 12;
  expect_error([&] { hwsim::check_model_fits(a, m.net); }, "accumulator_bits: 12 bits cannot hold");
  a = hwsim::load_arch(kArchDir + "small.yaml");
  a.max_weight_bits = 2;
  expect_error([&] { hwsim::check_model_fits(a, m.net); }, "max_weight_bits");
}

}  // namespace
}  // namespace bitblock::testing
