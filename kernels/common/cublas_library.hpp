#pragma once
// cuBLAS, opened on first use. Linking it costs every process ~90 ms of cuBLASLt static
// initialisation before main (measured on the 2-core VM: an empty program linked to libcublas
// starts in 0.09 s, one linked to cuSPARSE or cudart in 0.01 s), which CPU-only runs and each of
// the ~400 test processes would pay for nothing. The entry points bitblock calls are resolved with
// dlopen/dlsym and keep cuBLAS's own types, so a changed signature fails to compile.
#include <cublas_v2.h>

namespace bitblock::kernels::cuda {

struct CublasApi {
  decltype(&cublasCreate) create;
  decltype(&cublasDestroy) destroy;
  decltype(&cublasSetStream) set_stream;
  decltype(&cublasSetWorkspace) set_workspace;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasSetAtomicsMode) set_atomics_mode;
  decltype(&cublasGetStatusString) status_string;
  decltype(&cublasSgemm) sgemm;
};

// The library's entry points; the first call opens it (thread-safe). A library that cannot be
// opened, or lacks an entry point, is a CUDA failure naming the file and dlerror().
const CublasApi& cublas();

}  // namespace bitblock::kernels::cuda
