// Losses on the GPU: one block; each thread handles samples tid, tid + 256, ... (the CPU's
// per-sample formulas), a fixed shared-memory tree sums the shares, thread 0 updates the totals.
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/loss.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void loss_kernel(LossKind kind, const float* logits, const int32_t* labels, int64_t batch,
                            int64_t classes, float* dlogits, LossStats* stats) {
  __shared__ double loss_share[kThreads];
  __shared__ long long correct_share[kThreads];
  double total = 0.0;
  long long correct = 0;
  for (int64_t n = threadIdx.x; n < batch; n += kThreads) {
    const float* row = logits + n * classes;
    const int label = labels[n];
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    correct += best == label;
    float* d = dlogits ? dlogits + n * classes : nullptr;
    if (kind == LossKind::CrossEntropy) {
      const float max = row[best];
      double sum = 0.0;
      for (int64_t c = 0; c < classes; ++c) sum += exp(static_cast<double>(row[c]) - max);
      const double log_sum = log(sum);
      total += log_sum - (static_cast<double>(row[label]) - max);
      for (int64_t c = 0; d && c < classes; ++c) {
        const double p = exp(static_cast<double>(row[c]) - max - log_sum);
        d[c] = static_cast<float>((p - (c == label ? 1.0 : 0.0)) / static_cast<double>(batch));
      }
    } else {
      for (int64_t c = 0; c < classes; ++c) {
        const double t = c == label ? 1.0 : -1.0;
        const double margin = fmax(0.0, 1.0 - t * row[c]);
        total += margin * margin;
        if (d) d[c] = static_cast<float>(-2.0 * t * margin / static_cast<double>(batch));
      }
    }
  }
  loss_share[threadIdx.x] = total;
  correct_share[threadIdx.x] = correct;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) {
      loss_share[threadIdx.x] += loss_share[threadIdx.x + width];
      correct_share[threadIdx.x] += correct_share[threadIdx.x + width];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const double mean = batch ? loss_share[0] / static_cast<double>(batch) : 0.0;
    stats->last_loss = mean;
    stats->loss_sum += mean * static_cast<double>(batch);
    stats->correct += correct_share[0];
    stats->seen += batch;
  }
}

}  // namespace

void loss_forward_backward(LossKind kind, const float* logits, const int32_t* labels, int64_t batch, int64_t classes,
                           float* dlogits, LossStats* stats, cudaStream_t stream) {
  loss_kernel<<<1, kThreads, 0, stream>>>(kind, logits, labels, batch, classes, dlogits, stats);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
