#pragma once
// Inverted-dropout masks from a PCG32 stream (common/rng.hpp). cursor = {state, increment} of
// the generator, on the host for the CPU version and in device memory for the CUDA version;
// element i is dropped (mask 0) when draw i, as a uniform float in [0, 1) (24 bits), is below p,
// else kept with mask 1 / (1 - p). The cursor ends n draws later. The CUDA version jumps each
// thread to its first draw (pcg32_advance), so both draw the same mask for the same cursor.
#include <cstdint>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels {

void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask);

namespace reference {
void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask);
}  // namespace reference

namespace cuda {
void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask, cudaStream_t stream);
}  // namespace cuda

}  // namespace bitblock::kernels
