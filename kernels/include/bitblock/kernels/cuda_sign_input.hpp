#pragma once
// CUDA pieces of the binary GEMM on sign inputs (bgemm_blocks.hpp's contract) for dense 1-bit
// weights: inputs packed twice (0 as +1, 0 as -1), both products on cuda::bgemm_binary, the mean
// times the row scales. Both products always run: no host decision, so a captured step replays.
#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>

#include <cstdint>

namespace bitblock::kernels::cuda {

// X [M, K] (ld ldx) -> plus (bit = x >= 0) and minus (bit = x > 0), sign_words(K) words per row.
void pack_sign_input(const float* X, int64_t M, int64_t K, int64_t ldx, uint64_t* plus, uint64_t* minus,
                     cudaStream_t stream);
// Dense W_eff [N, K] (+-scale) -> its sign words and scales[n] = |W[n][0]|.
void binary_dense_weights(const float* W, int64_t N, int64_t K, uint64_t* signs, float* scales, cudaStream_t stream);
// Y[m][n] = (c_plus + c_minus) / 2 * scales[n] (C matrices M x N, ld N).
void sign_input_finish(const int32_t* c_plus, const int32_t* c_minus, int64_t M, int64_t N, const float* scales,
                       float* Y, int64_t ldy, cudaStream_t stream);

}  // namespace bitblock::kernels::cuda
#endif
