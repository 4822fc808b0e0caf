#pragma once
// When the CPU kernels of the training step go parallel.
#include <cstdint>

namespace bitblock::kernels {

// Element loops smaller than this run serially. Memory-bound loops of an MLP's size take tens of
// microseconds, and a parallel region there costs more than it saves: its worker has to share a
// core with OpenBLAS's spinning threads right after a GEMM. Conv-sized tensors go parallel.
constexpr int64_t kParallelMinElements = int64_t{1} << 20;
// Weight-matrix loops (the constraint's quantizer and its statistics) go parallel from here.
constexpr int64_t kParallelWeights = 65536;

}  // namespace bitblock::kernels
