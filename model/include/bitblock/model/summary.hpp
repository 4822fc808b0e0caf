#pragma once
// Per-stage summary of a model from the file alone (`bitblock summary --model`): shapes, bits,
// structure, kept fraction, weight memory (value / index / scale bits, recomputed from the
// weights and the stage's constraint by stage_memory), MACs executed by the block-skipping
// integer inference, totals and the reduction against dense float32 weights.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bitblock/model/network.hpp"

namespace bitblock::model {

struct StageSummary {
  std::string name, op, input, output;  // shapes as "CxHxW"
  int bits = 0;
  std::string structure;                // the stage constraint's structure
  std::string block;                    // "RxC"
  std::string activation;               // e.g. "sign", "unsigned4", "none"
  double kept_fraction = 0.0;           // kept in-matrix weights / all weights
  StageMemory memory;
  int64_t dense_float_bits = 0;         // rows * cols * 32
  int64_t macs = 0;                     // executed: kept weights x output positions
  int64_t dense_macs = 0;
};

struct ModelSummary {
  std::vector<StageSummary> stages;
  StageMemory total;
  int64_t dense_float_bits = 0;
  int64_t macs = 0, dense_macs = 0;
  double reduction() const { return total.total_bits() ? double(dense_float_bits) / double(total.total_bits()) : 0.0; }
};

ModelSummary summarize(const Network& net);
// Fixed-width text table with a totals line.
std::string format_summary(const ModelSummary& s);
nlohmann::json summary_json(const ModelSummary& s);

}  // namespace bitblock::model
