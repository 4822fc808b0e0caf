// CUDA graph capture and replay (graph.hpp).
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/device_memory.hpp"
#include "bitblock/kernels/graph.hpp"

namespace bitblock::kernels::cuda {

StepGraph::StepGraph(cudaStream_t stream, const std::function<void()>& body) {
  CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed));
  capture_started();
  try {
    body();
  } catch (...) {
    cudaGraph_t broken = nullptr;
    cudaStreamEndCapture(stream, &broken);  // leave the stream usable
    capture_ended();
    if (broken) cudaGraphDestroy(broken);
    throw;
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
  capture_ended();
  CUDA_CHECK(ended);
  cudaGraphExec_t exec = nullptr;
  const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
  if (err != cudaSuccess) {
    cudaGraphDestroy(graph);
    CUDA_CHECK(err);
  }
  graph_ = graph;
  exec_ = exec;
}

StepGraph::~StepGraph() {
  if (exec_) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
  if (graph_) cudaGraphDestroy(static_cast<cudaGraph_t>(graph_));
}

void StepGraph::launch(cudaStream_t stream) { CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), stream)); }

}  // namespace bitblock::kernels::cuda
