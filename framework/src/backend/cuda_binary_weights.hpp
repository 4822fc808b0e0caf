#pragma once
// The CUDA backend's binary weights (cuda_binary_weights.cpp): null unless the layout is one
// block holding the whole matrix.
#include <cuda_runtime.h>

#include <memory>

#include "bitblock/framework/binary_weights.hpp"
#include "bitblock/framework/exec_context.hpp"

namespace bitblock::backend {

std::unique_ptr<BinaryWeights> make_cuda_binary_weights(const kernels::BsrLayout& layout, const ExecContextPtr& ctx);

}  // namespace bitblock::backend
