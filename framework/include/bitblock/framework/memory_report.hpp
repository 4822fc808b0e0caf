#pragma once
// Per-layer weight memory and work of a constrained network: what `bitblock summary` prints and
// what a run saves in summary.json.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/sequential.hpp"

namespace bitblock {

struct LayerMemory {
  int index = 0;                 // position in the Sequential
  std::string kind;              // linear | conv2d
  std::string structure;         // e.g. "block 8x8 1/8 random"
  ConstraintSpec spec;
  MemoryCost cost;
  int64_t dense_macs = 0;        // per sample, all weights
  int64_t macs = 0;              // per sample, kept weights only
};

struct MemoryReport {
  std::vector<LayerMemory> layers;
  int64_t total_bits = 0, value_bits = 0, index_bits = 0, scale_bits = 0;
  int64_t dense_float_bits = 0;
  int64_t macs = 0, dense_macs = 0;
  double reduction() const { return total_bits ? double(dense_float_bits) / double(total_bits) : 0.0; }
};

MemoryReport memory_report(Sequential& net, const Shape& input);
std::string format_memory_report(const MemoryReport& report);
nlohmann::json to_json(const MemoryReport& report);

}  // namespace bitblock
