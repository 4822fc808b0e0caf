// hwsim simulation: a hand-computed tiny network (counts, cycles, energy, area from the tech
// numbers), schedule formula vs walk, datapath vs integer inference on random models, and the
// paper's 784-1024-1024-10 MLP (fit, speed).
#include <gtest/gtest.h>

#include <chrono>

#include "bitblock/hwsim/cost.hpp"
#include "bitblock/hwsim/datapath.hpp"
#include "bitblock/hwsim/simulate.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"
#include "model/random_network.hpp"

namespace bitblock::testing {
namespace {

using model::ActKind;

// Tiny network: 4 pixels -> 2 sign units (2-bit weights, one 2x2 block-row of two 2x2 blocks,
// all kept) -> 2 logits (2-bit weights, 1x1 blocks, 3 of 4 kept).
model::Network tiny_network() {
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

hwsim::Arch tiny_arch() {
  hwsim::Arch a;
  a.name = "tiny";
  a.clock_mhz = 100;
  a.cell_type = "itrs-lop";
  a.lanes = 2;
  a.max_weight_bits = 2;
  a.max_act_bits = 8;
  a.accumulator_bits = 16;
  a.accumulators = 2;
  a.control_overhead = 0.5;
  a.weight_sram = {1, 16, 512};
  a.index_sram = {1, 16, 512};
  a.param_sram = {1, 32, 512};
  a.act_sram = {1, 16, 512};
  return a;
}

// Two table points so every macro is exactly a table entry.
hwsim::Tech tiny_tech() {
  hwsim::Tech t;
  t.source = "tiny tech";
  t.sram = {{512, 16, "itrs-lop", 1.0, 2.0, 0.5, 0.01, 1.0}, {512, 32, "itrs-lop", 3.0, 4.0, 0.25, 0.02, 2.0}};
  t.logic = {0.21, 278, 12.68, 6350, 0.009, 5.98};  // Aladdin 40nm
  t.ref45 = {0.03, 0.2, 0.1, 3.1};
  return t;
}

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
  // cycles); 2 requantizations; 2 sign bits written = 1 word.
  EXPECT_EQ(ev[0].macs, 8);
  EXPECT_EQ(ev[0].mac_cycles, 4);
  EXPECT_EQ(ev[0].acc_updates, 4);
  EXPECT_EQ(ev[0].act_reads, 2);
  EXPECT_EQ(ev[0].operand_bits, 32);
  EXPECT_EQ(ev[0].weight_reads, 1);
  EXPECT_EQ(ev[0].index_reads, 0);
  EXPECT_EQ(ev[0].param_reads, 6);
  EXPECT_EQ(ev[0].requants, 2);
  EXPECT_EQ(ev[0].act_writes, 3);
  EXPECT_EQ(ev[0].load_cycles, 2);
  EXPECT_EQ(ev[0].cycles(), 8);
  // Stage 1: 3 kept 1x1 blocks, 1 cycle each; index = 3 x 1-bit columns + 3 x 2-bit pointers =
  // 9 bits = 1 word; weights 6 bits = 1 word; 2 logits into 64-bit registers.
  EXPECT_EQ(ev[1].macs, 3);
  EXPECT_EQ(ev[1].mac_cycles, 3);
  EXPECT_EQ(ev[1].acc_updates, 3);
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

  const hwsim::CostReport c = hwsim::estimate_cost(a, tiny_tech(), ev);
  EXPECT_EQ(c.cycles, 13);
  EXPECT_DOUBLE_EQ(c.latency_us, 0.13);
  EXPECT_DOUBLE_EQ(c.classifications_per_s, 100e6 / 13);
  EXPECT_NEAR(c.energy.weight_sram, 2 * 1.0, 1e-12);
  EXPECT_NEAR(c.energy.index_sram, 1 * 1.0, 1e-12);
  EXPECT_NEAR(c.energy.param_sram, 12 * 3.0, 1e-12);
  EXPECT_NEAR(c.energy.act_sram, 5 * 1.0 + 3 * 2.0, 1e-12);
  const double mac0 = 8 * (12.68 * 2 * 8 / 1024 + 0.21 * 16 / 32);  // 2-bit x 8-bit multiply + 16-bit add
  const double mac1 = 3 * (0.21 * 16 / 32);                          // sign inputs: add/subtract only
  EXPECT_NEAR(c.energy.mac, mac0 + mac1, 1e-12);
  const double requant = 4 * (12.68 * 16 * 32 / 1024 + 0.21 * 64 / 32);
  EXPECT_NEAR(c.energy.requant, requant, 1e-12);
  const double regs = (7 * 16 + 35 + 128) * 0.009;
  EXPECT_NEAR(c.energy.registers, regs, 1e-12);
  EXPECT_NEAR(c.energy.control, 0.5 * (mac0 + mac1 + requant + regs), 1e-12);
  const double leak_mw = 0.5 + 0.5 + 0.25 + 2 * 0.5;
  EXPECT_NEAR(c.energy.leakage, leak_mw * 13 * 10.0, 1e-9);  // mW x ns = pJ
  EXPECT_NEAR(c.area.weight_sram + c.area.index_sram + c.area.param_sram + c.area.act_sram, 0.01 + 0.01 + 0.02 + 0.02, 1e-12);
  const double mac_array = 2 * (6350.0 * 16 / 1024 + 278.0 * 16 / 32) * 1e-6;
  const double requant_unit = (6350.0 * 512 / 1024 + 278.0 * 2) * 1e-6;
  const double registers = (2 * 16 + 2 * (2 + 8)) * 5.98 * 1e-6;
  EXPECT_NEAR(c.area.mac_array, mac_array, 1e-15);
  EXPECT_NEAR(c.area.requant_unit, requant_unit, 1e-15);
  EXPECT_NEAR(c.area.registers, registers, 1e-15);
  EXPECT_NEAR(c.area.total(), 0.06 + 1.5 * (mac_array + requant_unit + registers), 1e-12);

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

hwsim::Arch roomy_arch(int lanes, int weight_word) {
  hwsim::Arch a = tiny_arch();
  a.cell_type = "itrs-lop";
  a.lanes = lanes;
  a.max_weight_bits = 8;
  a.max_act_bits = 9;
  a.accumulator_bits = 32;
  a.accumulators = 4096;
  a.weight_sram = {2, weight_word, 1 << 20};
  a.index_sram = {1, 32, 1 << 16};
  a.param_sram = {1, 64, 1 << 16};
  a.act_sram = {2, 32, 1 << 16};
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
        const hwsim::Arch a = roomy_arch(lanes, word);
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

TEST(Simulate, DatapathEqualsInferenceOnRandomModels) {
  for (const RandomModel& m : random_models()) {
    const std::vector<uint8_t> images = random_images(150, m.net.input.size(), 9);
    const hwsim::DatapathResult d = hwsim::run_datapath(m.net, images.data(), 150);
    const model::InferenceResult r = model::run_inference(m.net, images.data(), 150);
    EXPECT_EQ(d.logits, r.logits);
    EXPECT_EQ(d.classes, r.classes);
    std::vector<uint8_t> labels(150, 1);
    const hwsim::SimResult s = hwsim::simulate(m.net, roomy_arch(8, 64), hwsim::Tech{"t", {{1 << 20, 64, "itrs-lop", 1, 1, 1, 1, 1}}, {0.21, 278, 12.68, 6350, 0.009, 5.98}, {0.03, 0.2, 0.1, 3.1}},
                                               images.data(), labels.data(), 150);
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
