// Dropout masks on the GPU: each thread jumps the generator to its first of kPerThread
// consecutive draws (pcg32_advance) and steps from there; a one-thread kernel then moves the
// cursor n draws on (after every thread has read it).
#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/dropout.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int64_t kPerThread = 16;

__global__ void mask_kernel(const uint64_t* cursor, int64_t n, float p, float* mask) {
  const int64_t first = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kPerThread;
  if (first >= n) return;
  const uint64_t inc = cursor[1];
  uint64_t state = pcg32_advance(cursor[0], inc, static_cast<uint64_t>(first));
  const float keep_scale = 1.0f / (1.0f - p);
  const int64_t last = min(n, first + kPerThread);
  for (int64_t i = first; i < last; ++i) {
    mask[i] = pcg32_unit_float(pcg32_output(state)) < p ? 0.0f : keep_scale;
    state = pcg32_step(state, inc);
  }
}

__global__ void advance_kernel(uint64_t* cursor, int64_t n) {
  cursor[0] = pcg32_advance(cursor[0], cursor[1], static_cast<uint64_t>(n));
}

}  // namespace

void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask, cudaStream_t stream) {
  if (n == 0) return;
  const int64_t threads = (n + kPerThread - 1) / kPerThread;
  mask_kernel<<<static_cast<unsigned>((threads + 255) / 256), 256, 0, stream>>>(cursor, n, p, mask);
  CUDA_CHECK(cudaGetLastError());
  advance_kernel<<<1, 1, 0, stream>>>(cursor, n);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
