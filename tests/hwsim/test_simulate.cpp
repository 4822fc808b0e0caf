// hwsim simulation: a hand-computed tiny network (counts, cycles, energy, area from the tech
// numbers), schedule formula vs walk, datapath vs integer inference on random models, and the
// paper's 784-1024-1024-10 MLP (fit, speed).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/datapath.hpp"
#include "bitblock/hwsim/simulate.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"
#include "hwsim/tiny_design.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

using model::ActKind;

constexpr double kFa = 0.004;  // pJ per full adder at 1 V

// Logic area of tiny_arch in um2: MAC array 2 lanes x (0 multiplier FAs for 2-bit codes + a
// 16-bit accumulating adder) + a 2-input tree of 10-bit products (10 FAs) = 42 FAs; requant
// 16 x 32 array (31 rows x 16) + 64-bit add = 560 FAs; registers 2 x 16 + 2 x (2 + 8) = 52 bits;
// control 50% of those.
constexpr double kLogicUm2 = 1.5 * (42 * 10.0 + 560 * 10.0 + 52 * 5.0);

TEST(Simulate, HandComputedTinyNetwork) {
  const model::Network n = tiny_network();
  model::validate_network(n, "tiny");
  const hwsim::Arch a = tiny_arch();
  hwsim::validate_arch(a, "tiny");
  const std::vector<hwsim::EventCounts> ev = hwsim::count_events(n, a);
  ASSERT_EQ(ev.size(), 2u);
  // Stage 0: pc = min(2 lanes, 16/2) = 2; each 2x2 block: 2 cycles, 2 row updates, its 2 pixels
  // (16 bits) in 1 activation word. Weights 2 blocks x 4 x 2 bits = 16 bits = 1 word; no index
  // (nothing dropped); params 2 x 96 bits = 6 words of 32; image load 32 bits = 2 words (2
  // cycles); 2 requantizations; 2 sign bits written = 1 word. Each row-cycle sums 2 products of
  // 2 + 8 bits: one 10-bit add, 4 row-cycles = 40 full adders.
  EXPECT_EQ(ev[0].macs, 8);
  EXPECT_EQ(ev[0].mac_cycles, 4);
  EXPECT_EQ(ev[0].acc_updates, 4);
  EXPECT_EQ(ev[0].tree_fa, 40);
  EXPECT_EQ(ev[0].act_reads, 2);
  EXPECT_EQ(ev[0].operand_bits, 32);
  EXPECT_EQ(ev[0].weight_reads, 1);
  EXPECT_EQ(ev[0].index_reads, 0);
  EXPECT_EQ(ev[0].param_reads, 6);
  EXPECT_EQ(ev[0].requants, 2);
  EXPECT_EQ(ev[0].act_writes, 3);
  EXPECT_EQ(ev[0].load_cycles, 2);
  EXPECT_EQ(ev[0].cycles(), 8);
  // Stage 1: 3 kept 1x1 blocks, 1 cycle each (one product per row: no tree); index = 3 x 1-bit
  // columns + 3 x 2-bit pointers = 9 bits = 1 word; weights 6 bits = 1 word; 2 logits into
  // 64-bit registers.
  EXPECT_EQ(ev[1].macs, 3);
  EXPECT_EQ(ev[1].mac_cycles, 3);
  EXPECT_EQ(ev[1].acc_updates, 3);
  EXPECT_EQ(ev[1].tree_fa, 0);
  EXPECT_EQ(ev[1].act_reads, 3);
  EXPECT_EQ(ev[1].operand_bits, 3);
  EXPECT_EQ(ev[1].weight_reads, 1);
  EXPECT_EQ(ev[1].index_reads, 1);
  EXPECT_EQ(ev[1].param_reads, 6);
  EXPECT_EQ(ev[1].output_reg_bits, 128);
  EXPECT_EQ(ev[1].act_writes, 0);
  EXPECT_EQ(ev[1].cycles(), 5);
  EXPECT_TRUE(hwsim::walk_events(n, a)[0] == ev[0]);
  EXPECT_TRUE(hwsim::walk_events(n, a)[1] == ev[1]);

  const hwsim::CostReport c = hwsim::estimate_cost(a, tiny_tech(), n, ev);
  EXPECT_EQ(c.cycles, 13);
  EXPECT_DOUBLE_EQ(c.latency_us, 0.13);
  EXPECT_DOUBLE_EQ(c.classifications_per_s, 100e6 / 13);
  EXPECT_NEAR(c.energy.weight_sram, 2 * 1.0, 1e-12);
  EXPECT_NEAR(c.energy.index_sram, 1 * 1.0, 1e-12);
  EXPECT_NEAR(c.energy.param_sram, 12 * 3.0, 1e-12);
  EXPECT_NEAR(c.energy.act_sram, 5 * 1.0 + 3 * 2.0, 1e-12);
  // MACs: 2-bit codes need no shift-and-add row; stage 0: 40 tree FAs + 4 x 16-bit accumulates;
  // stage 1 (sign inputs): 3 x 16-bit accumulates.
  const double mac = (40 + 4 * 16 + 3 * 16) * kFa;
  EXPECT_NEAR(c.energy.mac, mac, 1e-12);
  const double requant = 4 * 560 * kFa;
  EXPECT_NEAR(c.energy.requant, requant, 1e-12);
  const double regs = (7 * 16 + 35 + 128) * 0.01;  // clock gating: written bits only
  EXPECT_NEAR(c.energy.registers, regs, 1e-12);
  EXPECT_NEAR(c.energy.control, 0.5 * (mac + requant + regs), 1e-12);
  // Every macro on: 0.5 (weight) + 0.5 (index) + 0.25 (param) + 2 x 0.5 (act halves) mW for
  // 13 cycles of 10 ns; logic leakage density 1e-6 mW/um2 on hp devices.
  EXPECT_NEAR(c.energy.sram_leakage, 2.25 * 130.0, 1e-9);  // mW x ns = pJ
  EXPECT_NEAR(c.energy.logic_leakage, kLogicUm2 * 1e-6 * 130.0, 1e-9);
  EXPECT_NEAR(c.leakage_mw, 2.25 + kLogicUm2 * 1e-6, 1e-12);
  EXPECT_NEAR(c.area.weight_sram + c.area.index_sram + c.area.param_sram + c.area.act_sram, 0.01 + 0.01 + 0.02 + 0.02, 1e-12);
  EXPECT_NEAR(c.area.mac_array, 42 * 10.0 * 1e-6, 1e-15);
  EXPECT_NEAR(c.area.requant_unit, 560 * 10.0 * 1e-6, 1e-15);
  EXPECT_NEAR(c.area.registers, 52 * 5.0 * 1e-6, 1e-15);
  EXPECT_NEAR(c.area.logic() * 1e6, kLogicUm2, 1e-9);
  // Clock limit at the nominal supply: the parameter SRAM's 2 ns cycle (the others cycle in 1 ns,
  // the logic reaches 1000 MHz).
  EXPECT_NEAR(c.clock.fmax_mhz, 500.0, 1e-9);
  EXPECT_EQ(c.clock.limiter, "parameter SRAM (itrs-lop)");

  // Values: pixels (10, 0, 3, 7): fc1 acc = (10 + 7, -10 + 3 - 14) = (17, -21) -> z = (17, -26)
  // -> codes (+1, -1); fc2 acc = (1 + 1, -1) -> logits (6, -1) -> class 0.
  const uint8_t img[] = {10, 0, 3, 7};
  const uint8_t label = 0;
  const hwsim::SimResult r = hwsim::simulate(n, a, tiny_tech(), img, &label, 1);
  EXPECT_EQ(r.images_checked, 1);
  EXPECT_DOUBLE_EQ(r.accuracy, 1.0);
  const hwsim::DatapathResult d = hwsim::run_datapath(n, img, 1);
  EXPECT_EQ(d.logits, (std::vector<int64_t>{6, -1}));
}

hwsim::CostReport tiny_cost(const hwsim::Arch& a) {
  const model::Network n = tiny_network();
  hwsim::check_model_fits(a, n);
  return hwsim::estimate_cost(a, tiny_tech(), n, hwsim::count_events(n, a));
}

// Supply 0.8 V against the 1 V nominals: dynamic energy x 0.64, leakage x 0.8, and the clock
// limit from the alpha-power law (alpha 1.5): SRAM (Vth 0.3) ((0.5^1.5 / 0.8) / (0.7^1.5 / 1))
// = 0.75460 of its nominal clock, 377.30 MHz for the 2 ns parameter SRAM; logic (hp, Vth 0.2)
// I_on ratio (0.6 / 0.8)^1.5 per volt = 811.9 MHz.
TEST(Simulate, SupplyScalesEnergyAndClockLimit) {
  const hwsim::CostReport nom = tiny_cost(tiny_arch());
  hwsim::Arch a = tiny_arch();
  a.supply_v = 0.8;
  const hwsim::CostReport low = tiny_cost(a);
  EXPECT_NEAR(low.energy.weight_sram, 0.64 * nom.energy.weight_sram, 1e-12);
  EXPECT_NEAR(low.energy.act_sram, 0.64 * nom.energy.act_sram, 1e-12);
  EXPECT_NEAR(low.energy.mac, 0.64 * nom.energy.mac, 1e-12);
  EXPECT_NEAR(low.energy.requant, 0.64 * nom.energy.requant, 1e-12);
  EXPECT_NEAR(low.energy.registers, 0.64 * nom.energy.registers, 1e-12);
  EXPECT_NEAR(low.energy.sram_leakage, 0.8 * nom.energy.sram_leakage, 1e-9);
  EXPECT_NEAR(low.energy.logic_leakage, 0.8 * nom.energy.logic_leakage, 1e-9);
  EXPECT_NEAR(low.clock.fmax_mhz, 500.0 * (std::pow(0.5, 1.5) / 0.8) / std::pow(0.7, 1.5), 1e-9);
  EXPECT_NEAR(low.clock.fmax_mhz, 377.30, 0.01);
  EXPECT_EQ(low.clock.limiter, "parameter SRAM (itrs-lop)");
  EXPECT_NEAR(low.clock.parts[0].fmax_mhz, 811.9, 0.05);  // datapath logic

  a.clock_mhz = 400;
  expect_input_error([&] { tiny_cost(a); },
                     "clock_mhz: 400 MHz is above the 377 MHz the parameter SRAM (itrs-lop) reaches at supply_v 0.80 V");
  a.clock_mhz = 100;
  a.supply_v = 0.45;
  expect_input_error([&] { tiny_cost(a); }, "supply_v: 0.45 V is below 0.50 V, the lowest supply a 6T SRAM");
}

TEST(Simulate, LeversAgainstHandComputedValues) {
  const hwsim::CostReport base = tiny_cost(tiny_arch());
  hwsim::Arch a = tiny_arch();
  // No clock gating: every datapath flop (2 x (2 + 8) operand bits + 2 x 16 accumulator bits =
  // 52) is clocked on each of the 13 cycles, plus the 128 logit bits.
  a.clock_gating = false;
  EXPECT_NEAR(tiny_cost(a).energy.registers, (52 * 13 + 128) * 0.01, 1e-12);
  // An array multiplier built 2 x 8 switches (2 - 1) x 8 = 8 full adders on each of the 11 MACs.
  a = tiny_arch();
  a.multiplier = hwsim::Multiplier::Array;
  EXPECT_NEAR(tiny_cost(a).energy.mac, base.energy.mac + 11 * 8 * kFa, 1e-12);
  // Activation SRAM in itrs-lstp cells (nominal 1.2 V): 5 reads x 3 pJ + 3 writes x 4 pJ, x
  // (1 / 1.2)^2; leakage 0.05 mW per half x (1 / 1.2).
  a = tiny_arch();
  a.act_sram.cell_type = "itrs-lstp";
  const hwsim::CostReport lstp = tiny_cost(a);
  EXPECT_NEAR(lstp.energy.act_sram, (5 * 3.0 + 3 * 4.0) / 1.44, 1e-12);
  EXPECT_NEAR(lstp.energy.sram_leakage, (0.5 + 0.5 + 0.25 + 2 * 0.05 / 1.2) * 130.0, 1e-9);
  // Logic on itrs-lop devices: leakage x I_off ratio 1e-9 / 1e-8.
  a = tiny_arch();
  a.logic_cell_type = "itrs-lop";
  EXPECT_NEAR(tiny_cost(a).energy.logic_leakage, 0.1 * base.energy.logic_leakage, 1e-12);
  // Two 2-byte macros per bank of 16-bit words: stage 0's 16 weight bits fill macro 0, stage 1's
  // 6 bits sit in macro 1. In retention (0.5 x 1 V) the idle macro leaks half: both stages see
  // 0.5 x (1 + 0.5) mW from the weight SRAM instead of 1 mW.
  a = tiny_arch();
  a.weight_sram = sram(1, 16, 4, 2);
  a.weight_sram.idle = hwsim::IdleMode::Retention;
  const hwsim::CostReport split = tiny_cost(a);
  EXPECT_EQ(split.stages[0].use.weight.active, 1);
  EXPECT_EQ(split.stages[0].use.weight.idle_live, 1);
  EXPECT_EQ(split.stages[1].use.weight.active, 1);
  EXPECT_NEAR(split.energy.sram_leakage, (0.5 * 1.5 + 0.5 + 0.25 + 2 * 0.5) * 130.0, 1e-9);
  // Power gating that macro would lose stage 1's weights.
  a.weight_sram.idle = hwsim::IdleMode::PowerGate;
  expect_input_error([&] { tiny_cost(a); },
                     "weight_sram.idle: power_gate would lose live data: macro 1 of each bank holds weights of another "
                     "stage while stage 0 (fc1) runs (use retention)");
  // Unused capacity holds nothing live: two 512-byte macros, both stages' weights in macro 0,
  // macro 1 power-gated: the weight SRAM leaks one macro's 0.5 mW.
  a.weight_sram = sram(1, 16, 1024, 2);
  a.weight_sram.idle = hwsim::IdleMode::PowerGate;
  EXPECT_NEAR(tiny_cost(a).energy.sram_leakage, base.energy.sram_leakage, 1e-9);
  // Input buffer: each stage reads its inputs once (stage 0: 4 pixels x 8 bits = 2 words of 16;
  // stage 1: 2 sign bits = 1 word) before its blocks, which then take ceil(E / pc) cycles:
  // stage 0: 2 + 2 x 2 = 6 cycles, stage 1: 1 + 3 x 1 = 4.
  a = tiny_arch();
  a.input_buffer = true;
  const model::Network n = tiny_network();
  const std::vector<hwsim::EventCounts> buf = hwsim::count_events(n, a);
  EXPECT_EQ(buf[0].act_reads, 2);
  EXPECT_EQ(buf[1].act_reads, 1);
  EXPECT_EQ(buf[0].operand_bits, 32);
  EXPECT_EQ(buf[1].operand_bits, 2);
  EXPECT_EQ(buf[0].mac_cycles, 6);
  EXPECT_EQ(buf[1].mac_cycles, 4);
  EXPECT_TRUE(hwsim::walk_events(n, a)[1] == buf[1]);
  // Words narrower than one 2-bit code.
  a = tiny_arch();
  a.weight_sram.word_bits = 1;
  expect_input_error([&] { tiny_cost(a); },
                     "weight_sram.word_bits: 1-bit words are narrower than one 2-bit weight code (stage 0 fc1)");
}

hwsim::Arch roomy_arch(int lanes, int weight_word) {
  hwsim::Arch a = tiny_arch();
  a.cell_type = "itrs-lop";
  a.lanes = lanes;
  a.max_weight_bits = 8;
  a.max_act_bits = 9;
  a.accumulator_bits = 32;
  a.accumulators = 4096;
  a.weight_sram = sram(2, weight_word, 1 << 20);
  a.index_sram = sram(1, 32, 1 << 16);
  a.param_sram = sram(1, 64, 1 << 16);
  a.act_sram = sram(2, 32, 1 << 16);
  return a;
}

std::vector<RandomModel> random_models() {
  std::vector<RandomModel> out;
  uint64_t seed = 50;
  for (int bits : {1, 2, 3, 4, 5, 6, 7, 8}) {
    StageSpec conv = stage_spec(model::OpKind::Conv, 5, bits, 2, 3, 0.6, ActKind::Unsigned, 2);
    conv.pool = {2, 2, bits % 2 ? model::PoolPlacement::Acc : model::PoolPlacement::Codes};
    out.push_back(random_model({2, 8, 8}, bits % 2 ? model::InputMode::Centered : model::InputMode::Pixel,
                               {conv, stage_spec(model::OpKind::Dense, 19, bits, 3, 5, 0.5, ActKind::Sign, 1),
                                stage_spec(model::OpKind::Dense, 7, bits, 1, 1, 0.7, ActKind::None, 32)},
                               seed++));
    out.push_back(random_model({1, 6, 7}, model::InputMode::Pixel,
                               {stage_spec(model::OpKind::Dense, 33, bits, 1, 42, 0.5, ActKind::Signed, 3),
                                stage_spec(model::OpKind::Dense, 12, bits, 33, 1, 0.5, ActKind::Unsigned, 4),
                                stage_spec(model::OpKind::Dense, 5, bits, 4, 4, 1.0, ActKind::None, 32)},
                               seed++));
  }
  return out;
}

TEST(Simulate, CountsFormulaEqualsScheduleWalk) {
  for (const RandomModel& m : random_models()) {
    for (int lanes : {1, 3, 16}) {
      for (int word : {8, 24, 64}) {
        hwsim::Arch a = roomy_arch(lanes, word);
        a.positions_per_pass = lanes == 3 ? 5 : 1;  // a conv stage's passes end on a partial group
        a.input_buffer = word == 24;
        const std::vector<hwsim::EventCounts> f = hwsim::count_events(m.net, a), w = hwsim::walk_events(m.net, a);
        ASSERT_EQ(f.size(), w.size());
        for (size_t k = 0; k < f.size(); ++k) {
          EXPECT_TRUE(f[k] == w[k]) << "stage " << k << " lanes " << lanes << " word " << word;
          EXPECT_EQ(f[k].macs, model::kept_in_matrix_elements(m.net.stages[k].weights.layout) * m.net.stages[k].positions());
        }
      }
    }
  }
}

// One pass over the weights for every output position of a conv stage: the weight, index and
// parameter streams are read once instead of once per position; the MACs do not change; each
// block's codes are latched once per pass.
TEST(Simulate, WeightReuseAcrossPositions) {
  const RandomModel m = random_models().front();  // stage 0: a 5-channel conv on 8 x 8
  const model::Stage& conv = m.net.stages[0];
  const int64_t P = conv.positions();
  ASSERT_GT(P, 1);
  hwsim::Arch a = roomy_arch(16, 64);
  const hwsim::EventCounts once = hwsim::count_events(m.net, a)[0];
  a.positions_per_pass = static_cast<int>(P);
  const hwsim::EventCounts reused = hwsim::count_events(m.net, a)[0];
  EXPECT_EQ(reused.weight_reads * P, once.weight_reads);
  EXPECT_EQ(reused.param_reads * P, once.param_reads);
  EXPECT_EQ(reused.index_reads * P, once.index_reads);
  EXPECT_EQ(reused.macs, once.macs);
  EXPECT_EQ(reused.mac_cycles, once.mac_cycles);
  const hwsim::StageStorage st = hwsim::stage_storage(m.net, 0);
  EXPECT_EQ(reused.operand_bits, once.operand_bits + st.weight_bits);
  EXPECT_TRUE(hwsim::walk_events(m.net, a)[0] == reused);
  // Each position of the pass needs its own accumulators.
  a.accumulators = conv.weights.layout.block_rows * static_cast<int>(P) - 1;
  expect_input_error([&] { hwsim::check_model_fits(a, m.net); }, "positions per pass (stage 0");
}

TEST(Simulate, DatapathEqualsInferenceOnRandomModels) {
  for (const RandomModel& m : random_models()) {
    const std::vector<uint8_t> images = random_images(150, m.net.input.size(), 9);
    const hwsim::DatapathResult d = hwsim::run_datapath(m.net, images.data(), 150);
    const model::InferenceResult r = model::run_inference(m.net, images.data(), 150);
    EXPECT_EQ(d.logits, r.logits);
    EXPECT_EQ(d.classes, r.classes);
    std::vector<uint8_t> labels(150, 1);
    hwsim::Tech t = tiny_tech();
    t.sram = {{1 << 20, 64, "itrs-lop", 1, 1, 1, 1, 1}};
    const hwsim::SimResult s = hwsim::simulate(m.net, roomy_arch(8, 64), t, images.data(), labels.data(), 150);
    EXPECT_EQ(s.images_checked, 150);
    EXPECT_DOUBLE_EQ(s.accuracy, model::accuracy(r.classes, labels.data()));
  }
}

// The paper's setting: 784-1024-1024-10, 3-bit weights, 8x8 blocks, 1 in 8 kept, sign
// activations. Must fit arch/paper_mlp.yaml; the model file is kept for CLI runs. (Replay speed
// is measured by bench/bench_hwsim.cpp, not here.)
TEST(Simulate, PaperMlpFitsPaperArch) {
  const RandomModel m = random_model({1, 28, 28}, model::InputMode::Centered,
                                     {stage_spec(model::OpKind::Dense, 1024, 3, 8, 8, 0.125, ActKind::Sign, 1),
                                      stage_spec(model::OpKind::Dense, 1024, 3, 8, 8, 0.125, ActKind::Sign, 1),
                                      stage_spec(model::OpKind::Dense, 10, 3, 8, 8, 0.125, ActKind::None, 32)},
                                     2024);
  model::Network net = m.net;
  net.dataset = "mnist";
  model::save_model({net, 0}, std::string(BITBLOCK_BINARY_DIR) + "/paper_mlp_random.bbm");
  const hwsim::Arch a = hwsim::load_arch(std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/arch/paper_mlp.yaml");
  const hwsim::Tech t = hwsim::load_tech(std::string(BITBLOCK_SOURCE_DIR) + "/hwsim/tech/40nm.yaml");
  const int64_t n = 500;
  const std::vector<uint8_t> images = random_images(n, 784, 5);
  const hwsim::SimResult r = hwsim::simulate(net, a, t, images.data(), nullptr, n);
  EXPECT_EQ(r.images_checked, n);
  EXPECT_TRUE(r.cost.warnings.empty());
}

}  // namespace
}  // namespace bitblock::testing
