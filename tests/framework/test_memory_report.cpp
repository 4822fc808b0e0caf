// Weight memory report of a small constrained network against totals computed by hand from the
// accounting rules (docs/constraints.md, "Memory accounting"), and the reduction vs dense float32.
#include <gtest/gtest.h>

#include <string>

#include "bitblock/framework/config.hpp"
#include "bitblock/framework/memory_report.hpp"
#include "bitblock/framework/model_builder.hpp"

namespace bitblock {
namespace {

// Three weight layers, one per accounting rule:
//  A 16x784, 3 bits per row, 8x8 blocks 1/4 random: 2 block-rows x 98 block-columns, each
//    block-row keeps round(98/4) = round(24.5) = 25 blocks -> 50 blocks = 3200 values;
//    values 3200*3 = 9600, index 50*clog2(98) = 50*7 = 350, scales 16*32 = 512 -> 10462 bits.
//  C 16x16, 8 bits per row, elements 1/4 by magnitude (prune [0, 1], final from epoch 1):
//    round(256/4) = 64 values -> 512 value bits; index 64*clog2(16) = 256 column indices plus
//    16*clog2(65) = 16*7 = 112 row pointers = 368; scales 16*32 = 512 -> 1392 bits.
//  B 10x16, 1 bit per layer, 4x8 blocks 1/2 random: block-rows 4, 4, 2 rows high (ragged), two
//    8-wide block-columns, one kept per block-row -> (4+4+2)*8 = 80 values whatever the draw;
//    values 80, index 3*clog2(2) = 3, scales 32 -> 115 bits.
const char* kMemoryYaml = R"(name: memory
data: {set: mnist}
model:
  layers:
    - {type: flatten}
    - {type: linear, out: 16, constraint: {weight_bits: 3, scale: per_row, structure: block, block: [8, 8], ratio: 4}}
    - {type: batchnorm}
    - {type: act, fn: relu, bits: 8, max: 4.0}
    - {type: linear, out: 16, constraint: {weight_bits: 8, structure: element, ratio: 4, selection: magnitude, prune: [0, 1]}}
    - {type: batchnorm}
    - {type: act, fn: relu, bits: 8, max: 4.0}
    - {type: linear, out: 10, constraint: {weight_bits: 1, scale: per_layer, structure: block, block: [4, 8], ratio: 2}}
    - {type: batchnorm}
)";

MemoryReport report_of(const char* yaml, int epoch) {
  ExperimentConfig c = parse_config(yaml, "memory.yaml");
  Sequential net = build_model(c, dataset_input(c.dataset));
  net.begin_epoch(0);
  if (epoch > 0) net.begin_epoch(epoch);
  return memory_report(net, {1, 28, 28});
}

TEST(MemoryReport, PerLayerBitsMatchHandComputedValues) {
  MemoryReport r = report_of(kMemoryYaml, 3);
  ASSERT_EQ(r.layers.size(), 3u);

  const LayerMemory& a = r.layers[0];
  EXPECT_EQ(a.index, 1);
  EXPECT_EQ(a.kind, "linear");
  EXPECT_EQ(a.cost.rows, 16);
  EXPECT_EQ(a.cost.cols, 784);
  EXPECT_EQ(a.cost.kept_values, 3200);
  EXPECT_EQ(a.cost.value_bits, 9600);
  EXPECT_EQ(a.cost.index_bits, 350);
  EXPECT_EQ(a.cost.scale_bits, 512);
  EXPECT_EQ(a.cost.total_bits(), 10462);
  EXPECT_EQ(a.macs, 3200);
  EXPECT_EQ(a.dense_macs, 16 * 784);
  EXPECT_EQ(a.structure, "block 8x8 1/4 random");

  const LayerMemory& c = r.layers[1];
  EXPECT_EQ(c.index, 4);
  EXPECT_EQ(c.cost.kept_values, 64);
  EXPECT_EQ(c.cost.value_bits, 512);
  EXPECT_EQ(c.cost.index_bits, 368);
  EXPECT_EQ(c.cost.scale_bits, 512);
  EXPECT_EQ(c.macs, 64);
  EXPECT_EQ(c.dense_macs, 256);

  const LayerMemory& b = r.layers[2];
  EXPECT_EQ(b.index, 7);
  EXPECT_EQ(b.cost.kept_values, 80);
  EXPECT_EQ(b.cost.value_bits, 80);
  EXPECT_EQ(b.cost.index_bits, 3);
  EXPECT_EQ(b.cost.scale_bits, 32);
  EXPECT_EQ(b.cost.total_bits(), 115);
  EXPECT_EQ(b.dense_macs, 160);
}

TEST(MemoryReport, TotalsAndReductionVsFloat32) {
  MemoryReport r = report_of(kMemoryYaml, 3);
  EXPECT_EQ(r.value_bits, 9600 + 512 + 80);
  EXPECT_EQ(r.index_bits, 350 + 368 + 3);
  EXPECT_EQ(r.scale_bits, 512 + 512 + 32);
  EXPECT_EQ(r.total_bits, 11969);
  EXPECT_EQ(r.dense_float_bits, (16 * 784 + 16 * 16 + 10 * 16) * 32);
  EXPECT_EQ(r.dense_float_bits, 414720);
  EXPECT_DOUBLE_EQ(r.reduction(), 414720.0 / 11969.0);
  EXPECT_EQ(r.macs, 3200 + 64 + 80);
  EXPECT_EQ(r.dense_macs, 12544 + 256 + 160);

  nlohmann::json j = to_json(r);
  EXPECT_EQ(j["total_bits"].get<int64_t>(), 11969);
  EXPECT_EQ(j["dense_float_bits"].get<int64_t>(), 414720);
  EXPECT_NEAR(j["reduction_vs_float32"].get<double>(), 34.6495, 1e-4);
  EXPECT_EQ(j["layers"].size(), 3u);
  EXPECT_EQ(j["layers"][2]["index_bits"].get<int64_t>(), 3);

  const std::string table = format_memory_report(r);
  // 11969 bits = 1.46 KiB; 414720 bits = 50.62 KiB; 34.65x.
  EXPECT_NE(table.find("1.46 KiB"), std::string::npos) << table;
  EXPECT_NE(table.find("50.62 KiB dense float32"), std::string::npos) << table;
  EXPECT_NE(table.find("34.65x smaller"), std::string::npos) << table;
  EXPECT_NE(table.find("block 8x8 1/4 random"), std::string::npos) << table;
}

TEST(MemoryReport, MagnitudePruningFollowsTheScheduleBeforeItsEnd) {
  // Epoch 0 of prune [0, 1]: nothing dropped yet; 256 values of 8 bits, CSR index 256*4 +
  // 16*clog2(257) = 1024 + 144.
  MemoryReport r = report_of(kMemoryYaml, 0);
  const LayerMemory& c = r.layers[1];
  EXPECT_EQ(c.cost.kept_values, 256);
  EXPECT_EQ(c.cost.value_bits, 2048);
  EXPECT_EQ(c.cost.index_bits, 1024 + 144);
}

TEST(MemoryReport, FloatNetworkHasNoReduction) {
  const char* yaml = R"(data: {set: mnist}
model: {layers: [{type: flatten}, {type: linear, out: 20}, {type: act, fn: relu}, {type: linear, out: 10}]}
)";
  MemoryReport r = report_of(yaml, 0);
  EXPECT_EQ(r.total_bits, (784 * 20 + 20 * 10) * 32);
  EXPECT_EQ(r.index_bits, 0);
  EXPECT_EQ(r.scale_bits, 0);
  EXPECT_DOUBLE_EQ(r.reduction(), 1.0);
}

TEST(MemoryReport, ConvLayerCountsMacsPerOutputPosition) {
  // conv 8 x (1*3*3), padding 1 on 28x28: 784 positions; 8 bits dense per layer scale:
  // 72 values * 8 = 576 bits + 32 scale bits; MACs 72 * 784.
  const char* yaml = R"(data: {set: mnist}
model:
  layers:
    - {type: conv, out: 8, kernel: 3, padding: 1, constraint: {weight_bits: 8, scale: per_layer}}
    - {type: act, fn: relu, bits: 8, max: 4.0}
    - {type: maxpool, kernel: 2}
    - {type: flatten}
    - {type: linear, out: 10, constraint: {weight_bits: 2}}
)";
  MemoryReport r = report_of(yaml, 0);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].kind, "conv2d");
  EXPECT_EQ(r.layers[0].cost.rows, 8);
  EXPECT_EQ(r.layers[0].cost.cols, 9);
  EXPECT_EQ(r.layers[0].cost.total_bits(), 576 + 32);
  EXPECT_EQ(r.layers[0].macs, 72 * 784);
  EXPECT_EQ(r.layers[0].dense_macs, 72 * 784);
  // linear 10 x (8*14*14), 2 bits, per-row scales.
  EXPECT_EQ(r.layers[1].cost.total_bits(), 10 * 1568 * 2 + 10 * 32);
}

}  // namespace
}  // namespace bitblock
