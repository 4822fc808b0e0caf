#pragma once
// Integer-only inference on a Network (network.hpp): what `bitblock eval --model` runs and what
// hwsim's datapath must reproduce bit for bit. Weight products use kernels::bsgemm_int, or the
// binary GEMM (bgemm_blocks.hpp) where 1-bit weights meet sign codes: the same integers.
#include <cstdint>
#include <vector>

#include "bitblock/model/network.hpp"

namespace bitblock::model {

// Integer outputs of one stage for every image of a run (for --trace and for tests).
struct StageTrace {
  Shape acc_shape;               // pre-pool C x H x W
  std::vector<int32_t> acc;      // images x acc_shape.size()
  Shape out_shape;
  std::vector<int16_t> codes;    // images x out_shape.size() (non-final stages)
  std::vector<int64_t> logits;   // images x out_shape.size() (final stage)
};

struct InferenceResult {
  std::vector<int32_t> classes;  // one per image
  std::vector<int64_t> logits;   // images x num_classes
};

// Runs `count` images (uint8, C*H*W each, CHW) in batches. With `trace`, fills one StageTrace
// per stage (memory grows with count: trace a few images).
InferenceResult run_inference(const Network& net, const uint8_t* images, int64_t count,
                              std::vector<StageTrace>* trace = nullptr);

// Fraction of classes equal to labels.
double accuracy(const std::vector<int32_t>& classes, const uint8_t* labels);

}  // namespace bitblock::model
