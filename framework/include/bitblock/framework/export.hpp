#pragma once
// Trained network -> integer network (the .bbm model file). Each weight layer becomes one stage;
// the layers after it up to the next weight layer (batch-norm, max-pool, dropout, flatten, the
// quantized activation) fold into that stage's per-channel fixed-point requantization:
//   pre-activation x_c = g_c * (s_in * s_w[c] * acc + bias_c - mu_c) / sqrt(var_c + eps) + beta_c
//   relu a bits, clip M:  code = clamp(round(x * L / M), 0, L),  L = 2^a - 1, next s_in = M / L
//   hardtanh a bits:      code = clamp(round(x * L), -L, L),    L = 2^(a-1) - 1, next s_in = 1 / L
//   sign:                 code = x >= 0 ? +1 : -1,               next s_in = 1
//   last layer:           logits = x (argmax)
// Input codes are pixels (normalize.mean 0: s_in = 1 / (255 std)) or 2p - 255 (mean 0.5:
// s_in = 1 / (510 std)). Max-pool after batch-norm or after the activation pools codes (exact,
// activations are monotone); max-pool right after the weight layer pools accumulators, which is
// exact only while every channel's slope is positive (checked).
#include <string>

#include <nlohmann/json.hpp>

#include "bitblock/framework/config.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/sequential.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock {

// Throws InputError "<where>: ..." when the network cannot run integer-only (float weights or
// activations, unsupported normalisation or layer order).
model::Network export_network(Sequential& net, const ExperimentConfig& config, const ModelInput& input,
                              const nlohmann::json& training_metadata, const std::string& where);

struct ExportOutcome {
  bool written = false;
  std::string reason;            // why not, when !written (e.g. float weights)
  double integer_accuracy = 0.0; // integer-only inference on the test set
  int64_t file_bytes = 0;
};

// Exports to `path` (atomically) and measures integer-only accuracy on `test`. A network that
// cannot run integer-only is not an error here: the outcome says why nothing was written.
ExportOutcome export_model_file(Sequential& net, const ExperimentConfig& config, const Dataset& test,
                                const nlohmann::json& training_metadata, const std::string& path);

}  // namespace bitblock
