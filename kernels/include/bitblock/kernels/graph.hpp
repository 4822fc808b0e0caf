#pragma once
// A CUDA graph recorded from the work a function enqueues on a stream, and replayed with one
// launch (RAII over cudaGraph_t / cudaGraphExec_t). Capture runs in relaxed mode, so a cache miss
// of the caching allocator (a cudaMalloc) may happen inside it; the work is recorded, not run.
// Only with BITBLOCK_HAS_CUDA.
#include <functional>

#include "bitblock/kernels/stream.hpp"

namespace bitblock::kernels::cuda {

class StepGraph {
 public:
  // Records body's work on stream (body must enqueue all of it there and never synchronize).
  StepGraph(cudaStream_t stream, const std::function<void()>& body);
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  void launch(cudaStream_t stream);

 private:
  void* graph_ = nullptr;  // cudaGraph_t
  void* exec_ = nullptr;   // cudaGraphExec_t
};

}  // namespace bitblock::kernels::cuda
