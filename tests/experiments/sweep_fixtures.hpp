#pragma once
// Fixtures for the sweep tests: a tiny sweep over the tiny MLP config, and fake run folders
// (sweep_point.json, summary.json, optionally hwsim/report.json) as a finished run leaves them.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/experiments/sweep.hpp"
#include "framework/tiny_mnist.hpp"

namespace bitblock::testing_support {

// 2 x 2 grid: weight_bits {1, 4} x ratio {2, 4}, one epoch; extra is appended to the file.
inline std::string tiny_sweep_yaml(const std::string& extra = "") {
  return "sweep: tinysweep\nbase: tiny.yaml\nset: {train.epochs: 1}\n"
         "grid:\n  constraints.default.weight_bits: [1, 4]\n  constraints.default.ratio: [2, 4]\n" + extra;
}

inline experiments::SweepSpec tiny_spec(const TempDir& dir, const std::string& extra = "") {
  write_file_atomic(dir / "tiny.yaml", tiny_mlp_yaml());
  write_file_atomic(dir / "sweep.yaml", tiny_sweep_yaml(extra));
  return experiments::load_sweep(dir / "sweep.yaml");
}

inline void fake_finished_run(const std::string& dir, int index, const std::string& name,
                              const std::vector<std::pair<std::string, std::string>>& values, double acc, double kib,
                              bool with_hwsim) {
  make_dirs(dir + "/" + name);
  nlohmann::json point = {{"sweep", "s"}, {"index", index}, {"name", name}, {"values", values}};
  write_file_atomic(dir + "/" + name + "/sweep_point.json", point.dump());
  nlohmann::json summary = {
      {"test_acc", acc},
      {"best_test_acc", acc + 0.01},
      {"train_seconds", 12.5},
      {"memory",
       {{"total_bits", kib * 8192}, {"total_kib", kib}, {"reduction_vs_float32", 100.0 / kib},
        {"layers", nlohmann::json::array()}}}};
  write_file_atomic(dir + "/" + name + "/summary.json", summary.dump());
  if (with_hwsim) {
    make_dirs(dir + "/" + name + "/hwsim");
    nlohmann::json hw = {{"energy_nj_per_classification", {{"total", 10 * kib}}},
                         {"area_mm2", {{"total", 0.5}}},
                         {"classifications_per_s", 1000.0}};
    write_file_atomic(dir + "/" + name + "/hwsim/report.json", hw.dump());
  }
}

}  // namespace bitblock::testing_support
