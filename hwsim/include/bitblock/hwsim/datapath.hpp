#pragma once
// The accelerator's datapath values for every image: accumulation block by block in the
// schedule's order (events.hpp) from pre-decoded kept blocks, written independently of
// kernels::bsgemm_int so that comparing it with model::run_inference (what `bitblock eval`
// runs) checks the two agree. Input coding, im2col, pooling and requantization are the shared
// definitions in model/ops.hpp.
#include <cstdint>
#include <functional>
#include <vector>

#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

struct DatapathResult {
  std::vector<int32_t> classes;  // one per image
  std::vector<int64_t> logits;   // images x num_classes
};

// Sees stage k's input codes of one image: the code at (im2col) column kk and output position p
// is x[kk * stride + p].
using StageInputObserver =
    std::function<void(size_t k, int64_t image, const int16_t* x, int64_t stride)>;

// observe (optional) is called for every image and stage; out_codes (optional) receives every
// image's output codes of every non-final stage (out_codes[k]: images x output size).
DatapathResult run_datapath(const model::Network& net, const uint8_t* images, int64_t count,
                            const StageInputObserver& observe = nullptr,
                            std::vector<std::vector<int16_t>>* out_codes = nullptr);

}  // namespace bitblock::hwsim
