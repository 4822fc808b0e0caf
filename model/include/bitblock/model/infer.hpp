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

// Images per batch by default: big enough to amortise the kernel's per-block work, small enough
// to keep activations in cache.
constexpr int64_t kInferenceBatch = 256;

// Runs `count` images (uint8, C*H*W each, CHW) in batches of `batch` (>= 1). With `trace`, fills
// one StageTrace per stage (memory grows with count: trace a few images).
InferenceResult run_inference(const Network& net, const uint8_t* images, int64_t count,
                              std::vector<StageTrace>* trace = nullptr, int64_t batch = kInferenceBatch);

// Bytes the working buffers of run_inference hold per image of a batch (input codes, the widest
// stage's accumulators, output codes).
int64_t inference_bytes_per_image(const Network& net);

// Fraction of classes equal to labels.
double accuracy(const std::vector<int32_t>& classes, const uint8_t* labels);

}  // namespace bitblock::model
