#pragma once
// Sweeps: a base experiment config plus a grid of config keys, expanded into runs.
//
// Sweep file (YAML):
//   sweep: mnist_paper                   # name: runs go to runs/<sweep>/<run>/
//   base: mnist_mlp_3b_8x.yaml           # experiment config, relative to this file, or an
//                                        # inline config (a map: name, data, model, ...)
//   set: {train.epochs: 20}              # overrides applied to every run (optional)
//   grid:                                # dotted config keys -> lists; the Cartesian product,
//     constraints.default.weight_bits: [1, 2, 3, 32]    # first key varies slowest
//     constraints.default.ratio: [2, 4, 8]
//   zip:                                 # groups of keys that vary together (optional): one
//     - {constraints.default.structure: [row, block],   # axis per group, after the grid keys;
//        constraints.default.block: [[1, 64], [8, 8]]}  # lists of a group have equal length
//   include:                             # extra partial points (optional); each is crossed
//     - {constraints.default.structure: none, constraints.default.ratio: 1}  # with the axes
//                                       # it sets no key of (the rest take the base's values)
//   exclude:                             # drop points matching every key of an entry; a
//     - {constraints.default.weight_bits: 32, constraints.default.ratio: [8]}  # list = any of
//   hwsim: {arch: hwsim/arch/paper_mlp.yaml}   # simulate every exported run (optional; the
//                                        # same as set: {hwsim.arch: ...}, so it may be a grid key)
//   name: "{weight_bits}b_{structure}_{ratio}x"   # run folder names (optional)
// Run names: with `name:`, each {key} (a full dotted key or its last component when that is
// unambiguous) is replaced by the point's value ("[8, 8]" -> "8x8"; empty when the point does
// not set the key). Without it, the last component of each key a point sets joined with its value
// ("weight_bits-3_structure-block_ratio-8"). Two different points with one name are an error.
// Points whose config is invalid (the experiment's own validation: impossible ratio, block
// larger than the matrix, ...) stay in the grid (indices are stable for --only) marked invalid;
// the runner lists and skips them.
#include <string>
#include <utility>
#include <vector>

#include "bitblock/framework/dataset.hpp"

namespace bitblock::experiments {

using KeyValues = std::vector<std::pair<std::string, std::string>>;                 // key -> value (YAML text)
using KeyChoices = std::vector<std::pair<std::string, std::vector<std::string>>>;   // key -> values

struct GridAxis {
  std::vector<std::string> keys;                 // one grid key, or the keys of a zip group
  std::vector<std::vector<std::string>> steps;   // per step, one value per key
};

struct GridPoint {
  int index = 0;            // position in the expanded grid (--only, Slurm array task id)
  std::string name;         // run folder name
  KeyValues values;         // the keys this point sets
  std::string invalid;      // why the config is rejected, or empty
  // Of the resolved config (valid points only):
  std::string config_yaml;  // what the run trains (written to <run>/config.yaml)
  DatasetId dataset = DatasetId::Mnist;
  std::string hwsim_arch;   // empty: not simulated
};

struct SweepSpec {
  std::string source;       // the sweep file
  std::string name;
  std::string base;         // base config file (or "<sweep file>: base" when inline), for messages
  std::string base_yaml;    // its text
  KeyValues fixed;          // `hwsim:`, `set:` and the command line's --set, in that order
  std::vector<GridAxis> axes;
  std::vector<KeyChoices> include, exclude;
  std::string name_template;
};

SweepSpec load_sweep(const std::string& path);                      // InputError on bad files
SweepSpec parse_sweep(const std::string& yaml_text, const std::string& source, const std::string& base_dir);

// Adds command-line "key=value" overrides for every run; a key the grid varies is an error.
void add_overrides(SweepSpec& spec, const std::vector<std::string>& sets);

// Grid points in order (axis product, first axis slowest, then include points), exclusions
// removed, each point's config resolved and validated (point.invalid says why not). The number
// of points (before exclusions) is bounded first: InputError "<file>: key 'grid': ..." when
// expanding them would need more memory than this process may use.
std::vector<GridPoint> expand_grid(const SweepSpec& spec);
// Points the axes and include lists make before exclusions and duplicates are removed.
int64_t grid_size(const SweepSpec& spec);

// The overrides that make a point's config from the base config.
std::vector<std::string> point_overrides(const SweepSpec& spec, const GridPoint& point);

}  // namespace bitblock::experiments
