#pragma once
// The kept path's kept units on the GPU (kept_weights.hpp). Compiled only with CUDA.
#include <memory>
#include <string>

#include "bitblock/framework/kept_weights.hpp"
#include "bitblock/framework/exec_context.hpp"

namespace bitblock::backend {

std::unique_ptr<KeptWeights> make_cuda_kept_weights(const kernels::BsrLayout& layout, KeptUnit unit, int bits,
                                                    const std::string& name, const ExecContextPtr& ctx);

}  // namespace bitblock::backend
