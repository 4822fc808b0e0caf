#pragma once
// The accelerator's datapath values for every image: accumulation block by block in the
// schedule's order (events.hpp) from pre-decoded kept blocks, written independently of
// kernels::bsgemm_int so that comparing it with model::run_inference (what `bitblock eval`
// runs) checks the two agree. Input coding, im2col, pooling and requantization are the shared
// definitions in model/ops.hpp.
#include <cstdint>
#include <vector>

#include "bitblock/model/network.hpp"

namespace bitblock::hwsim {

struct DatapathResult {
  std::vector<int32_t> classes;  // one per image
  std::vector<int64_t> logits;   // images x num_classes
};

DatapathResult run_datapath(const model::Network& net, const uint8_t* images, int64_t count);

}  // namespace bitblock::hwsim
