// --emit-rtl: the tiny network's SRAM images, golden vectors and parameters worked out by hand,
// and the Icarus Verilog testbench (hwsim/rtl/tb_stage0.v) recomputing stage 0 of random models
// from those files (skipped, naming the package, where iverilog is absent), failing on a wrong
// golden code.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/hwsim/rtl_export.hpp"
#include "hwsim/tiny_design.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

std::string out_dir(const std::string& name) { return std::string(BITBLOCK_BINARY_DIR) + "/test_hwsim_rtl_" + name; }

TEST(RtlExport, TinyNetworkByHand) {
  hwsim::Arch a = tiny_arch();
  a.weight_sram = sram(2, 8, 512);  // two banks of 8-bit words
  const std::string dir = out_dir("tiny");
  const uint8_t img[] = {10, 0, 3, 7};
  hwsim::emit_rtl(dir, tiny_network(), a, img, 1);
  // fc1 codes, 2-bit two's complement LSB first: block (0,0) = 1, -2, -1, 1 -> bits 10 01 11 10
  // -> 0x79; block (0,1) = 0, 1, 1, -2 -> 0x94. Word 0 -> bank 0 row 0, word 1 -> bank 1 row 0.
  // fc2 starts on a new row: codes 1, -1, 1 -> 0x1d in bank 0 row 1. 256 words per bank.
  const std::string b0 = read_file(dir + "/weight_b0.hex"), b1 = read_file(dir + "/weight_b1.hex");
  EXPECT_EQ(b0.substr(0, 6), "79\n1d\n");
  EXPECT_EQ(b1.substr(0, 6), "94\n00\n");
  EXPECT_EQ(b0.size(), 256u * 3);
  // fc1 drops nothing (no index); fc2: row_ptr 0, 2 (2 bits), columns 0, 1 (1 bit), row_ptr 3,
  // column 1 -> bits 00 01 0 1 11 1 -> 0x1e8 in one 16-bit word.
  EXPECT_EQ(read_file(dir + "/index_b0.hex").substr(0, 5), "01e8\n");
  // fc1 parameters per channel: m_c 32 bits, b_c 64 bits, in 32-bit words: (1, 0), (1, -5).
  EXPECT_EQ(read_file(dir + "/param_b0.hex").substr(0, 54),
            "00000001\n00000000\n00000000\n00000001\nfffffffb\nffffffff\n");
  EXPECT_EQ(read_file(dir + "/input.hex"), "000a\n0000\n0003\n0007\n");
  // Sign codes (+1, -1) and logits (6, -1) (test_simulate.cpp works them out).
  EXPECT_EQ(read_file(dir + "/golden_s0.hex"), "0001\nffff\n");
  EXPECT_EQ(read_file(dir + "/golden_s1.hex"), "0000000000000006\nffffffffffffffff\n");
  const nlohmann::json m = nlohmann::json::parse(read_file(dir + "/manifest.json"));
  EXPECT_EQ(m["weight_sram"]["stages"][1]["first_row"], 1);
  EXPECT_EQ(m["weight_sram"]["depth_per_bank"], 256);
  EXPECT_EQ(m["index_sram"]["stages"][0]["words"], 0);
  EXPECT_EQ(m["stages"][0]["activation"], "sign");
  EXPECT_NE(read_file(dir + "/tb_params.vh").find("localparam W_BANKS = 2;"), std::string::npos);
}

bool have_iverilog() { return std::system("command -v iverilog >/dev/null 2>&1 && command -v vvp >/dev/null 2>&1") == 0; }

// Runs the testbench in dir; returns its output.
std::string run_testbench(const std::string& dir) {
  const std::string cmd = "iverilog -g2005 -I '" + dir + "' -o '" + dir + "/tb.vvp' '" + BITBLOCK_SOURCE_DIR +
                          "/hwsim/rtl/tb_stage0.v' > '" + dir + "/tb.log' 2>&1 && cd '" + dir +
                          "' && vvp tb.vvp >> tb.log 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(dir + "/tb.log");
  return read_file(dir + "/tb.log");
}

TEST(RtlExport, IcarusTestbenchRecomputesStageZero) {
  if (!have_iverilog()) GTEST_SKIP() << "iverilog not installed (Debian package iverilog)";
  using model::ActKind;
  using model::OpKind;
  struct Case {
    int bits, block_rows, block_cols;
    double keep;
    ActKind act;
    int act_bits, banks, word;
  };
  // Ragged blocks, dropped blocks (an index), binary to 8-bit codes, each activation, one and
  // several banks; the last case is a single-stage network (logits).
  const Case cases[] = {{3, 4, 5, 0.5, ActKind::Unsigned, 4, 1, 32}, {1, 3, 8, 0.6, ActKind::Sign, 1, 2, 16},
                        {8, 2, 2, 0.7, ActKind::Signed, 3, 3, 24}, {5, 3, 3, 1.0, ActKind::Unsigned, 8, 1, 64},
                        {2, 5, 4, 0.5, ActKind::None, 32, 2, 8}};
  int n = 0;
  for (const Case& c : cases) {
    std::vector<StageSpec> specs = {stage_spec(OpKind::Dense, 13, c.bits, c.block_rows, c.block_cols, c.keep, c.act, c.act_bits)};
    if (c.act != ActKind::None) specs.push_back(stage_spec(OpKind::Dense, 4, 2, 1, 1, 1.0, ActKind::None, 32));
    const model::Network net = random_model({1, 6, 7}, n % 2 ? model::InputMode::Centered : model::InputMode::Pixel,
                                            specs, 300 + static_cast<uint64_t>(n)).net;
    hwsim::Arch a = tiny_arch();
    a.max_weight_bits = 8;
    a.max_act_bits = 9;
    a.accumulator_bits = 32;
    a.accumulators = 64;
    a.weight_sram = sram(c.banks, c.word, 1536 * c.banks);
    a.index_sram = sram(1, 16, 512);
    a.param_sram = sram(1, 64, 4096);
    a.act_sram = sram(1, 32, 512);
    const std::vector<uint8_t> images = random_images(5, 42, 40 + static_cast<uint64_t>(n));
    const std::string dir = out_dir("case" + std::to_string(n++));
    hwsim::emit_rtl(dir, net, a, images.data(), 5);
    const std::string log = run_testbench(dir);
    EXPECT_NE(log.find("PASS 5 images"), std::string::npos) << dir << "\n" << log;
  }
  // A wrong golden code is caught.
  const std::string dir = out_dir("case0");
  std::string golden = read_file(dir + "/golden_s0.hex");
  golden[3] = golden[3] == '1' ? '2' : '1';
  write_file_atomic(dir + "/golden_s0.hex", golden);
  EXPECT_NE(run_testbench(dir).find("FAIL image 0 output 0"), std::string::npos);
}

}  // namespace
}  // namespace bitblock::testing
