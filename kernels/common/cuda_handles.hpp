#pragma once
// Library handles of the CUDA kernels: one cuBLAS and one cuSPARSE handle per device and host
// thread, made on first use and bound to the caller's stream on every call. The cuBLAS handle
// owns a fixed workspace (cublasSetWorkspace), so its GEMMs allocate nothing while a CUDA graph
// is being captured; pointer mode is host (alpha and beta are host floats).
#include <cublas_v2.h>
#include <cusparse.h>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels::cuda {

cublasHandle_t cublas_handle(cudaStream_t stream);
cusparseHandle_t cusparse_handle(cudaStream_t stream);

// Threads per block and blocks for a 1-D launch over n elements (grid-stride loops cover the rest).
inline unsigned blocks_for(long long n, int threads = 256) {
  const long long b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535LL * 32 ? 65535LL * 32 : b));
}

}  // namespace bitblock::kernels::cuda
