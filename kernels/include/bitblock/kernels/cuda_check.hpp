#pragma once
// One error style for CUDA calls: throw std::runtime_error naming the call, the error and
// file:line (cublas_check.hpp and cusparse_check.hpp give the libraries the same style, for the
// code that uses them). Plus an RAII device buffer. Only with BITBLOCK_HAS_CUDA.
#ifdef BITBLOCK_HAS_CUDA
#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace bitblock::kernels::cuda {

[[noreturn]] inline void cuda_fail(const char* call, const std::string& error, const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + call + " failed: " + error);
}

}  // namespace bitblock::kernels::cuda

#define CUDA_CHECK(call)                                                                        \
  do {                                                                                          \
    const cudaError_t bb_err_ = (call);                                                         \
    if (bb_err_ != cudaSuccess) {                                                               \
      ::bitblock::kernels::cuda::cuda_fail(#call, cudaGetErrorString(bb_err_), __FILE__, __LINE__); \
    }                                                                                           \
  } while (0)

namespace bitblock::kernels::cuda {

// Owns count elements of device memory; move-only.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) : count_(count) {
    if (count_) CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr_), count_ * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      if (ptr_) cudaFree(ptr_);
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
    }
    return *this;
  }
  T* get() const { return ptr_; }
  size_t size() const { return count_; }
  void upload(const T* host, size_t count) {
    if (count) CUDA_CHECK(cudaMemcpy(ptr_, host, count * sizeof(T), cudaMemcpyHostToDevice));
  }
  void download(T* host, size_t count) const {
    if (count) CUDA_CHECK(cudaMemcpy(host, ptr_, count * sizeof(T), cudaMemcpyDeviceToHost));
  }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
