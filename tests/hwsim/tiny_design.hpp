#pragma once
// The hand-computable design shared by the hwsim tests: a two-stage network, an arch and a
// technology whose figures are round numbers.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/arch.hpp"
#include "bitblock/hwsim/tech.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::testing {

// Tiny network: 4 pixels -> 2 sign units (2-bit weights, one 2x2 block-row of two 2x2 blocks,
// all kept) -> 2 logits (2-bit weights, 1x1 blocks, 3 of 4 kept).
inline model::Network tiny_network() {
  using model::ActKind;
  model::Network n;
  n.dataset = "tiny";
  n.input = {1, 1, 4};
  n.num_classes = 2;
  model::Stage s0;
  s0.name = "fc1";
  s0.input = {1, 1, 4};
  const int8_t c0[] = {1, -2, 0, 1, -1, 1, 1, -2};
  const uint8_t m0[] = {1, 1, 1, 1, 1, 1, 1, 1};
  s0.weights = kernels::bsr_pack(c0, m0, 2, 4, 2, 2, 2, nullptr);
  s0.act = ActKind::Sign;
  s0.act_bits = 1;
  s0.mult = {1, 1};
  s0.bias = {0, -5};
  model::Stage s1;
  s1.name = "fc2";
  s1.input = {2, 1, 1};
  const int8_t c1[] = {1, -1, 0, 1};
  const uint8_t m1[] = {1, 1, 0, 1};
  s1.weights = kernels::bsr_pack(c1, m1, 2, 2, 1, 1, 2, nullptr);
  s1.act = ActKind::None;
  s1.act_bits = 32;
  s1.mult = {3, 2};
  s1.bias = {0, 1};
  n.stages = {s0, s1};
  return n;
}

inline void expect_input_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    FAIL() << "no error (expected '" << fragment << "')";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

inline hwsim::SramSpec sram(int banks, int word_bits, int64_t capacity_bytes, int macros_per_bank = 1) {
  hwsim::SramSpec s;
  s.banks = banks;
  s.word_bits = word_bits;
  s.capacity_bytes = capacity_bytes;
  s.macros_per_bank = macros_per_bank;
  return s;
}

inline hwsim::Arch tiny_arch() {
  hwsim::Arch a;
  a.name = "tiny";
  a.clock_mhz = 100;
  a.supply_v = 1.0;
  a.cell_type = "itrs-lop";
  a.logic_cell_type = "hp";
  a.lanes = 2;
  a.max_weight_bits = 2;
  a.max_act_bits = 8;
  a.accumulator_bits = 16;
  a.accumulators = 2;
  a.control_overhead = 0.5;
  a.weight_sram = sram(1, 16, 512);
  a.index_sram = sram(1, 16, 512);
  a.param_sram = sram(1, 32, 512);
  a.act_sram = sram(1, 16, 512);
  return a;
}

// Round figures so every energy can be worked out by hand: table points equal the macros, every
// nominal supply is 1 V (lstp: 1.2 V), one full adder costs 0.004 pJ at 1 V and 40 nm.
inline hwsim::Tech tiny_tech() {
  hwsim::Tech t;
  t.source = "tiny tech";
  t.sram = {{512, 16, "itrs-lop", 1.0, 2.0, 0.5, 0.01, 1.0},
            {512, 32, "itrs-lop", 3.0, 4.0, 0.25, 0.02, 2.0},
            {512, 16, "itrs-lstp", 3.0, 4.0, 0.05, 0.02, 2.0}};
  t.sram_vmin_v = 0.5;
  t.retention_fraction = 0.5;
  t.alpha = 1.5;
  t.devices = {{"hp", {1.0, 0.2, 2e-3, 1e-8}}, {"itrs-lop", {1.0, 0.3, 1e-3, 1e-9}}, {"itrs-lstp", {1.2, 0.5, 5e-4, 1e-11}}};
  t.logic = {0.004, 40, 1.0, 40, 10.0, 0.01, 5.0, 1e-6, 1000, "hp"};
  t.check = {0.2, 0.21, 12.68};
  return t;
}
}  // namespace bitblock::testing
