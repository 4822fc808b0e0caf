#pragma once
// The autotuner's choice among the implementations of one product (cuda_candidates.hpp plus the
// library baselines): each candidate runs on the same operands, is checked against the reference
// element by element (result_check.hpp) and, where it passes, timed; the fastest passing one wins.
// A candidate that fails the check is never chosen, not even when pinned by name.
#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bitblock::kernels::cuda {

struct ProductCandidate {
  std::string name;
  double operand_rounding = 0.0;       // result_check.hpp: 0 for fp32 operands, kBf16Rounding per bf16 side
  std::function<void(float* out)> run;  // writes the product's n outputs (device memory)
};

struct CandidateOutcome {
  std::string name;
  bool ran = false;       // false: it threw (e.g. launch failure)
  bool accepted = false;  // within its bound (the reference: always)
  double worst = 0.0;     // max |got - ref| / bound over the outputs (check_result)
  double seconds = 0.0;   // best of the timed runs, where accepted
};

struct ProductChoice {
  size_t pick = 0;
  std::vector<CandidateOutcome> outcomes;  // in candidate order
  std::string log;  // "name 12.3 us (err 0.12 of bound), other wrong (err 45 of bound) -> name"
};

// The last candidate is the reference (fp32; dense cuBLAS in the tuner), which needs no check.
// magnitude: device array of the n outputs of the same product on the absolute values of the
// operands; depth: terms per output. pinned: a candidate name to prefer where it passes ("" for
// the fastest).
ProductChoice choose_product(const std::vector<ProductCandidate>& candidates, const float* magnitude, size_t n,
                             int64_t depth, const std::string& pinned, cudaStream_t stream);

// Seconds per call of fn on stream: the best of `reps` event-timed runs after one warm-up.
double time_on_stream(cudaStream_t stream, const std::function<void()>& fn, int reps = 5);

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
