// Per-device, per-thread cuBLAS / cuSPARSE handles (see cuda_handles.hpp).
#include "common/cuda_handles.hpp"

#include <map>

#include "bitblock/kernels/cublas_check.hpp"
#include "common/cublas_library.hpp"
#include "bitblock/kernels/cusparse_check.hpp"

namespace bitblock::kernels::cuda {
namespace {

// 32 MiB: what cuBLAS asks for on Hopper; enough for every SGEMM algorithm it picks.
constexpr size_t kCublasWorkspace = size_t{32} << 20;

struct CublasSlot {
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;
  ~CublasSlot() {
    if (handle) cublas().destroy(handle);
    if (workspace) cudaFree(workspace);
  }
};

struct CusparseSlot {
  cusparseHandle_t handle = nullptr;
  ~CusparseSlot() {
    if (handle) cusparseDestroy(handle);
  }
};

int current_device() {
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

}  // namespace

cublasHandle_t cublas_handle(cudaStream_t stream) {
  thread_local std::map<int, CublasSlot> slots;
  CublasSlot& slot = slots[current_device()];
  if (!slot.handle) {
    CUBLAS_CHECK(cublas().create(&slot.handle));
    CUDA_CHECK(cudaMalloc(&slot.workspace, kCublasWorkspace));
    CUBLAS_CHECK(cublas().set_workspace(slot.handle, slot.workspace, kCublasWorkspace));
    // Full fp32 products (the CPU path's precision), no atomics in any routine.
    CUBLAS_CHECK(cublas().set_math_mode(slot.handle, CUBLAS_DEFAULT_MATH));
    CUBLAS_CHECK(cublas().set_atomics_mode(slot.handle, CUBLAS_ATOMICS_NOT_ALLOWED));
  }
  CUBLAS_CHECK(cublas().set_stream(slot.handle, stream));
  return slot.handle;
}

cusparseHandle_t cusparse_handle(cudaStream_t stream) {
  thread_local std::map<int, CusparseSlot> slots;
  CusparseSlot& slot = slots[current_device()];
  if (!slot.handle) CUSPARSE_CHECK(cusparseCreate(&slot.handle));
  CUSPARSE_CHECK(cusparseSetStream(slot.handle, stream));
  return slot.handle;
}

}  // namespace bitblock::kernels::cuda
