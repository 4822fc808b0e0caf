// Sweep files and grid expansion: product order, zip groups, include/exclude, run names (default
// and template), inline base configs, command-line overrides, invalid points, bad files.
#include <gtest/gtest.h>

#include <sstream>

#include "bitblock/experiments/sweep.hpp"
#include "bitblock/framework/config.hpp"
#include "experiments/sweep_fixtures.hpp"

namespace bitblock::experiments {
namespace {

using testing_support::expect_input_error;
using testing_support::TempDir;
using testing_support::tiny_spec;

std::vector<std::string> names(const std::vector<GridPoint>& points) {
  std::vector<std::string> out;
  for (const GridPoint& p : points) out.push_back(p.name);
  return out;
}

TEST(SweepGrid, ProductOrderNamesIncludeExclude) {
  TempDir dir("grid");
  SweepSpec spec = tiny_spec(dir,
                             "include:\n  - {constraints.default.structure: none, constraints.default.ratio: 1}\n"
                             "  - {constraints.default.weight_bits: 4, constraints.default.ratio: 2}\n"
                             "exclude:\n  - {constraints.default.weight_bits: 1, constraints.default.ratio: [4]}\n");
  EXPECT_EQ(spec.base, dir / "tiny.yaml");
  std::vector<GridPoint> p = expand_grid(spec);
  // 2 x 2 product minus (1, 4), then the first include point crossed with weight_bits {1, 4};
  // the second include point repeats grid point (4, 2) and is not run twice.
  EXPECT_EQ(names(p), (std::vector<std::string>{"weight_bits-1_ratio-2", "weight_bits-4_ratio-2", "weight_bits-4_ratio-4",
                                                "weight_bits-1_structure-none_ratio-1",
                                                "weight_bits-4_structure-none_ratio-1"}));
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(p[i].index, static_cast<int>(i));
    EXPECT_TRUE(p[i].invalid.empty()) << p[i].invalid;
    EXPECT_EQ(p[i].dataset, DatasetId::Mnist);
    EXPECT_TRUE(p[i].hwsim_arch.empty());
  }
  const std::vector<std::string> o = point_overrides(spec, p[2]);
  EXPECT_EQ(o, (std::vector<std::string>{"train.epochs=1", "constraints.default.weight_bits=4",
                                         "constraints.default.ratio=4", "name=weight_bits-4_ratio-4"}));
  // The resolved config is what the run trains: grid values, fixed overrides and the run name.
  const ExperimentConfig c = parse_config(p[4].config_yaml, "point 4");
  EXPECT_EQ(c.name, "weight_bits-4_structure-none_ratio-1");
  EXPECT_EQ(c.epochs, 1);
  EXPECT_EQ(c.constraint_default.weight_bits.value_or(-1), 4);
  EXPECT_EQ(c.constraint_default.ratio.value_or(-1.0), 1.0);
}

TEST(SweepGrid, ZipGroupsAndNameTemplate) {
  TempDir dir("zip");
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml",
                    "sweep: z\nbase: tiny.yaml\nname: \"{weight_bits}b_{structure}_{constraints.default.ratio}x\"\n"
                    "grid: {constraints.default.weight_bits: [1, 4]}\n"
                    "zip:\n  - {constraints.default.structure: [row, block], constraints.default.ratio: [4, 2]}\n"
                    "hwsim: {arch: arch.yaml}\n");
  SweepSpec spec = load_sweep(dir / "sweep.yaml");
  std::vector<GridPoint> p = expand_grid(spec);
  // The zip group is one axis of two steps, after the grid keys: 2 x 2 points, not 2 x 2 x 2.
  EXPECT_EQ(names(p), (std::vector<std::string>{"1b_row_4x", "1b_block_2x", "4b_row_4x", "4b_block_2x"}));
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[1].values, (KeyValues{{"constraints.default.weight_bits", "1"},
                                    {"constraints.default.structure", "block"},
                                    {"constraints.default.ratio", "2"}}));
  for (const GridPoint& g : p) {
    EXPECT_TRUE(g.invalid.empty()) << g.invalid;
    EXPECT_EQ(g.hwsim_arch, "arch.yaml");  // `hwsim:` is an override of the run config
  }
  EXPECT_EQ(spec.fixed.front(), (std::pair<std::string, std::string>{"hwsim.arch", "arch.yaml"}));
}

TEST(SweepGrid, BlockValuesInNamesAndCollisions) {
  TempDir dir("names");
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "a.yaml", "sweep: a\nbase: tiny.yaml\ngrid: {constraints.default.block: [[8, 8], [4, 16]]}\n");
  EXPECT_EQ(names(expand_grid(load_sweep(dir / "a.yaml"))), (std::vector<std::string>{"block-8x8", "block-4x16"}));
  // A template that leaves out a varied key would give two different points one folder.
  write_file_atomic(dir / "b.yaml",
                    "sweep: b\nbase: tiny.yaml\nname: \"r{ratio}\"\n"
                    "grid: {constraints.default.ratio: [2, 4], constraints.default.weight_bits: [1, 4]}\n");
  expect_input_error([&] { expand_grid(load_sweep(dir / "b.yaml")); }, {dir / "b.yaml", "both named 'r2'"});
}

TEST(SweepGrid, InlineBaseAndCommandLineOverrides) {
  TempDir dir("inline");
  std::string indented;
  std::istringstream in(testing_support::tiny_mlp_yaml());
  for (std::string line; std::getline(in, line);) indented += "  " + line + "\n";
  write_file_atomic(dir / "sweep.yaml", "sweep: inl\nbase:\n" + indented + "grid: {seed: [1, 2]}\n");
  SweepSpec spec = load_sweep(dir / "sweep.yaml");
  EXPECT_EQ(spec.base, dir / "sweep.yaml" + ": base");
  add_overrides(spec, {"train.epochs=3", "model.layers[1].out=16"});
  std::vector<GridPoint> p = expand_grid(spec);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(names(p), (std::vector<std::string>{"seed-1", "seed-2"}));
  const ExperimentConfig c = parse_config(p[1].config_yaml, "point 1");
  EXPECT_EQ(c.seed, 2u);
  EXPECT_EQ(c.epochs, 3);
  EXPECT_EQ(c.layers[1].out, 16);
  expect_input_error([&] { add_overrides(spec, {"seed=5"}); }, {"--set seed=5", "grid key"});
  expect_input_error([&] { add_overrides(spec, {"train.epochs"}); }, {"--set train.epochs", "key=value"});
}

TEST(SweepGrid, InvalidPointsAreReportedNotFatal) {
  TempDir dir("invalid");
  // ratio 200 needs 200 blocks per block-row; the 784-wide first layer has 98. 9-bit weights do
  // not exist.
  write_file_atomic(dir / "tiny.yaml", testing_support::tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml",
                    "sweep: s\nbase: tiny.yaml\ngrid:\n  constraints.default.ratio: [2, 200]\n"
                    "  constraints.default.weight_bits: [4, 9]\n");
  std::vector<GridPoint> p = expand_grid(load_sweep(dir / "sweep.yaml"));
  ASSERT_EQ(p.size(), 4u);
  EXPECT_TRUE(p[0].invalid.empty());
  EXPECT_NE(p[1].invalid.find("weight_bits"), std::string::npos) << p[1].invalid;
  EXPECT_NE(p[2].invalid.find("ratio 200"), std::string::npos) << p[2].invalid;
  EXPECT_FALSE(p[3].invalid.empty());
  EXPECT_TRUE(p[2].config_yaml.empty());
  EXPECT_EQ(p[3].index, 3);  // invalid points keep their index (--only, Slurm task ids)
}

TEST(SweepGrid, ShippedSweepsExpandWithoutInvalidPoints) {
  const std::string dir = std::string(BITBLOCK_SOURCE_DIR) + "/experiments/configs/";
  const std::pair<const char*, size_t> sweeps[] = {
      {"mnist_paper.yaml", 75}, {"fashion_cnn_sweep.yaml", 16}, {"cifar10_paper.yaml", 4}};
  for (const auto& [file, count] : sweeps) {
    SCOPED_TRACE(file);
    std::vector<GridPoint> points = expand_grid(load_sweep(dir + file));
    EXPECT_EQ(points.size(), count);
    for (const GridPoint& p : points) EXPECT_TRUE(p.invalid.empty()) << p.name << ": " << p.invalid;
  }
}

TEST(SweepGrid, BadSweepFiles) {
  TempDir dir("bad");
  write_file_atomic(dir / "b.yaml", testing_support::tiny_mlp_yaml());
  auto expect_error = [&](const std::string& text, const std::string& fragment) {
    write_file_atomic(dir / "s.yaml", text);
    expect_input_error([&] { load_sweep(dir / "s.yaml"); }, {dir / "s.yaml", fragment});
  };
  expect_error("sweep: a\nbase: b.yaml\ngird: {}\n", "gird");
  expect_error("base: b.yaml\n", "sweep");
  expect_error("sweep: a\nbase: nope.yaml\n", "nope.yaml not found");
  expect_error("sweep: ../a\nbase: b.yaml\n", "not a folder name");
  expect_error("sweep: a\nbase: b.yaml\ngrid: {x: []}\n", "empty list");
  expect_error("sweep: a\nbase: b.yaml\ngrid: [1, 2]\n", "grid");
  expect_error("sweep: a\nbase: b.yaml\nhwsim: x\n", "hwsim");
  expect_error("sweep: a\nbase: b.yaml\nzip:\n  - {seed: [1, 2], train.epochs: [1]}\n", "equal lengths");
  expect_error("sweep: a\nbase: b.yaml\ngrid: {seed: [1, 2]}\nzip:\n  - {seed: [1, 2], train.epochs: [1, 2]}\n",
               "'seed' is varied twice");
  expect_error("sweep: a\nbase: b.yaml\nname: \"{bits}\"\ngrid: {seed: [1, 2]}\n", "{bits} is not a key");
  expect_error("sweep: a\nbase: b.yaml\nname: \"{ratio}\"\n"
               "grid: {constraints.default.ratio: [2], constraints.first.ratio: [1]}\n",
               "matches several keys");
  // Found by fuzz_sweep_grid: a list or map where a text belongs threw yaml-cpp's exception (exit 1).
  expect_error("sweep: a\nbase: b.yaml\nname: {seed: [1, 2]}\ngrid: {seed: [1, 2]}\n", "key 'name': expected a text");
  expect_error("sweep: [a]\nbase: b.yaml\n", "key 'sweep': expected a text");
  expect_error("sweep: a\nbase: [b.yaml]\n", "key 'base': expected a text");
  expect_error("sweep: a\nbase: b.yaml\nhwsim: {arch: {x: 1}}\n", "key 'hwsim.arch': expected a text");
  // Found by fuzz_sweep_grid's 10-minute run: an empty zip group read its first key (undefined behaviour).
  expect_error("sweep: a\nbase: b.yaml\nzip:\n  - {}\n", "key 'zip[0]': an empty group");
}

}  // namespace
}  // namespace bitblock::experiments
