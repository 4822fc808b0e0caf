#pragma once
// Every CUDA implementation of each product, as one small descriptor list per product: a name,
// whether it takes a problem, and its launch function (the signature of the plain kernel in
// cuda.hpp). The framework's startup autotuner times the entries that support a layer's shape,
// together with its library baselines (cuSPARSE BSR, dense cuBLAS on the masked matrix), keeps
// the fastest and logs the choice; bitblock_bench times them all and the device tests
// (tests/kernels/test_cuda_tc.cpp) check every entry against the CPU reference. The plain kernel
// comes first in each list: it takes every problem.
#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "bitblock/kernels/cuda.hpp"

namespace bitblock::kernels::cuda {

// A block-sparse product: batch M, W of rows x cols (outputs x inputs), its blocks and code width.
struct BsrProblem {
  int64_t M, rows, cols;
  int block_rows, block_cols, bits;
};
// A binary GEMM: C (M x N) over K.
struct BinaryProblem {
  int64_t M, N, K;
};

// Forward (A = X, out = Y) and input gradient (A = dY, out = dX) share a signature.
using BsrProductLaunch = void (*)(const float* A, int64_t M, int64_t lda, const DeviceBsr& W, float* out,
                                  int64_t ldo, cudaStream_t stream);
using BsrWeightGradLaunch = void (*)(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                                     const DeviceBsr& W, float* dW, cudaStream_t stream);
using BinaryLaunch = void (*)(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                              int64_t ldc, cudaStream_t stream);
using FloatBinaryLaunch = void (*)(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                                   const float* row_scales, float* Y, int64_t ldy, cudaStream_t stream);

template <typename Problem, typename Launch>
struct Candidate {
  const char* name;
  bool (*supports)(const Problem&);  // may query the current device (shared-memory limits)
  Launch launch;
};

const std::vector<Candidate<BsrProblem, BsrProductLaunch>>& bsgemm_forward_candidates();
const std::vector<Candidate<BsrProblem, BsrProductLaunch>>& bsgemm_backward_input_candidates();
const std::vector<Candidate<BsrProblem, BsrWeightGradLaunch>>& bsgemm_backward_weight_candidates();
const std::vector<Candidate<BinaryProblem, BinaryLaunch>>& bgemm_binary_candidates();
const std::vector<Candidate<BinaryProblem, FloatBinaryLaunch>>& bgemm_float_binary_candidates();

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
