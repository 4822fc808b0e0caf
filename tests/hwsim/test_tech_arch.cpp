// Technology tables (SRAM interpolation) and architecture files (validation, fit checks).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/report.hpp"
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
  EXPECT_DOUBLE_EQ(t.logic.add32_pj, 0.21);
  EXPECT_DOUBLE_EQ(t.logic.mul32_um2, 6350);
  EXPECT_DOUBLE_EQ(t.ref45.mul32_pj, 3.1);
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

TEST(Tech, LogicScaling) {
  hwsim::LogicTech l{0.21, 278, 12.68, 6350, 0.009, 5.98};
  EXPECT_DOUBLE_EQ(hwsim::add_pj(l, 16), 0.105);
  EXPECT_DOUBLE_EQ(hwsim::mul_pj(l, 8, 8), 12.68 * 64 / 1024);
  EXPECT_DOUBLE_EQ(hwsim::mul_pj(l, 1, 8), 0.0);  // binary operand: add/subtract only
  EXPECT_DOUBLE_EQ(hwsim::mul_um2(l, 4, 9), 6350.0 * 36 / 1024);
}

TEST(Tech, BadFilesNameFileAndKey) {
  const std::string text = read_file(kTech);
  const std::string bad = temp("bad_tech.yaml");
  const std::string table = "table: " + std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/tech/sram40nm.csv";
  std::string t = text;
  t.replace(t.find("table: sram40nm.csv"), 19, table);
  t.replace(t.find("add32_area_um2"), 14, "add32_areaXum2");
  write_file_atomic(bad, t);
  expect_error([&] { hwsim::load_tech(bad); }, "logic.add32_areaXum2: unknown key");
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
  EXPECT_NO_THROW(hwsim::load_arch(kArchDir + "small.yaml"));
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
  expect_error([&] { hwsim::load_arch(arch_with("  banks: 1\n  word_bits: 32\n  capacity_bytes: 32768",
                                                "  banks: 3\n  word_bits: 32\n  capacity_bytes: 32768")); },
               "weight_sram.capacity_bytes: must be a positive multiple of banks");
  expect_error([&] { hwsim::load_arch(arch_with("cell_type: itrs-lop", "cell_type: hp")); }, "cell_type");
  expect_error([&] { hwsim::load_arch(arch_with("accumulator_bits: 24", "accumulator_bits: 64")); }, "accumulator_bits");
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
