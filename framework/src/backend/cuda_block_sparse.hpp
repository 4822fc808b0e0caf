#pragma once
// The packed path's weights on the GPU (block_sparse.hpp). Compiled only with CUDA.
#include <memory>
#include <string>

#include "bitblock/framework/block_sparse.hpp"
#include "bitblock/kernels/stream.hpp"

namespace bitblock::backend {

std::unique_ptr<BlockSparse> make_cuda_block_sparse(const kernels::BsrLayout& layout, const std::string& name,
                                                    cudaStream_t stream);

}  // namespace bitblock::backend
