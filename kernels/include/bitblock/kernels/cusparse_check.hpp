#pragma once
// CUSPARSE_CHECK: cuda_check.hpp's error style for cuSPARSE calls. Only with BITBLOCK_HAS_CUDA;
// the including target links CUDA::cusparse.
#ifdef BITBLOCK_HAS_CUDA
#include <cusparse.h>

#include "bitblock/kernels/cuda_check.hpp"

#define CUSPARSE_CHECK(call)                                                                          \
  do {                                                                                                \
    const cusparseStatus_t bb_st_ = (call);                                                           \
    if (bb_st_ != CUSPARSE_STATUS_SUCCESS) {                                                          \
      ::bitblock::kernels::cuda::cuda_fail(#call, cusparseGetErrorString(bb_st_), __FILE__, __LINE__); \
    }                                                                                                 \
  } while (0)
#endif  // BITBLOCK_HAS_CUDA
