#pragma once
// CUBLAS_CHECK: cuda_check.hpp's error style for cuBLAS calls. Only with BITBLOCK_HAS_CUDA. The
// kernels open cuBLAS on first use (common/cublas_library.hpp), so the status text comes through
// that handle rather than from a linked cublasGetStatusString.
#ifdef BITBLOCK_HAS_CUDA
#include <cublas_v2.h>

#include "bitblock/kernels/cuda_check.hpp"

namespace bitblock::kernels::cuda {
const char* cublas_status_string(cublasStatus_t status);
}  // namespace bitblock::kernels::cuda

#define CUBLAS_CHECK(call)                                                                          \
  do {                                                                                              \
    const cublasStatus_t bb_st_ = (call);                                                           \
    if (bb_st_ != CUBLAS_STATUS_SUCCESS) {                                                          \
      ::bitblock::kernels::cuda::cuda_fail(#call, ::bitblock::kernels::cuda::cublas_status_string(bb_st_), __FILE__, __LINE__); \
    }                                                                                               \
  } while (0)
#endif  // BITBLOCK_HAS_CUDA
