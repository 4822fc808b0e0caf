#pragma once
// CUBLAS_CHECK: cuda_check.hpp's error style for cuBLAS calls. Only with BITBLOCK_HAS_CUDA; the
// including target links CUDA::cublas.
#ifdef BITBLOCK_HAS_CUDA
#include <cublas_v2.h>

#include "bitblock/kernels/cuda_check.hpp"

#define CUBLAS_CHECK(call)                                                                          \
  do {                                                                                              \
    const cublasStatus_t bb_st_ = (call);                                                           \
    if (bb_st_ != CUBLAS_STATUS_SUCCESS) {                                                          \
      ::bitblock::kernels::cuda::cuda_fail(#call, cublasGetStatusString(bb_st_), __FILE__, __LINE__); \
    }                                                                                               \
  } while (0)
#endif  // BITBLOCK_HAS_CUDA
