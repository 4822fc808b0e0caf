#pragma once
// Sweeps: a base experiment config plus a grid of config keys, expanded into runs.
//
// Sweep file (YAML):
//   sweep: mnist_paper                   # name: runs go to runs/<sweep>/<run>/
//   base: mnist_mlp_3b_8x.yaml           # experiment config, relative to this file
//   set: {train.epochs: 20}              # overrides applied to every run (optional)
//   grid:                                # dotted config keys -> lists; the Cartesian product,
//     constraints.default.weight_bits: [1, 2, 3, 32]    # first key varies slowest
//     constraints.default.ratio: [2, 4, 8]
//   include:                             # extra partial points (optional); each is crossed
//     - {constraints.default.structure: none, constraints.default.ratio: 1}  # with the grid
//                                       # keys it does not set
//   exclude:                             # drop points matching every key of an entry; a
//     - {constraints.default.weight_bits: 32, constraints.default.ratio: [8]}  # list = any of
//   hwsim: {arch: hwsim/arch/paper_mlp.yaml}   # simulate every exported run (optional)
// Run names join the last component of each varied key with its value
// ("weight_bits3_structure-block_ratio8"). Points whose config is invalid (the experiment's own
// validation: impossible ratio, block larger than the matrix, ...) are listed and skipped.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bitblock::experiments {

struct GridPoint {
  int index = 0;                                         // position in the expanded grid
  std::string name;                                      // run folder name
  std::vector<std::pair<std::string, std::string>> values;  // key -> value (YAML text)
  std::string invalid;                                   // why the config is rejected, or empty
};

struct SweepSpec {
  std::string source;                  // the sweep file
  std::string name;
  std::string base;                    // resolved path of the base config
  std::vector<std::pair<std::string, std::string>> fixed;   // `set:` overrides
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;
  std::vector<std::vector<std::pair<std::string, std::vector<std::string>>>> include, exclude;
  std::string hwsim_arch;
};

SweepSpec load_sweep(const std::string& path);                      // InputError on bad files
SweepSpec parse_sweep(const std::string& yaml_text, const std::string& source, const std::string& base_dir);

// Grid points in order (grid product, then include points), exclusions removed, each point's
// config validated (point.invalid says why not).
std::vector<GridPoint> expand_grid(const SweepSpec& spec);

// The `--set` overrides that make a point's config from the base config.
std::vector<std::string> point_overrides(const SweepSpec& spec, const GridPoint& point);

}  // namespace bitblock::experiments
