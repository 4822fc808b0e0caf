#pragma once
// cuSPARSE's BSR products on a DeviceBsr's values (cuda.hpp): the library baseline for the
// block-sparse training products, and one of the implementations the CUDA backend times.
//   forward        Y [M, rows] = X W^T     SpMM, W as BSR (row-major blocks), X and Y column-major views
//   input grad     dX [M, cols] = dY W      SpMM on W^T as BSR (values transposed each call, so no
//                                           transposed operation: cuSPARSE documents those as
//                                           non-deterministic)
//   weight grad    dW = dY^T X at the kept blocks   SDDMM into a BSR of the same layout
// Square blocks larger than 1 and no ragged edge (rows and cols multiples of the block); the
// constructor throws std::runtime_error otherwise, and any call throws when cuSPARSE refuses the
// layout, so the caller can drop this implementation. Workspaces are allocated on the first call
// for a batch size (not inside a captured graph afterwards). Only with BITBLOCK_HAS_CUDA.
#include <cstdint>
#include <map>
#include <memory>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels::cuda {

struct DeviceBsr;

class CusparseBsr {
 public:
  explicit CusparseBsr(const DeviceBsr& w);
  ~CusparseBsr();
  CusparseBsr(const CusparseBsr&) = delete;
  CusparseBsr& operator=(const CusparseBsr&) = delete;

  void forward(const float* X, int64_t M, float* Y, cudaStream_t stream);
  void backward_input(const float* dY, int64_t M, float* dX, cudaStream_t stream);
  void backward_weight(const float* dY, int64_t M, const float* X, float* dW, cudaStream_t stream);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace bitblock::kernels::cuda
