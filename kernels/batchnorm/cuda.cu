// Batch normalisation on the GPU: one 256-thread block per channel. Each thread sums a strided
// share of the channel's (sample, pixel) terms in double, a fixed shared-memory tree combines the
// shares (deterministic, no atomics), and the block then writes the channel's elements with the
// CPU's single-precision operations (_rn intrinsics: no contraction into FMA).
#include <cmath>

#include "bitblock/kernels/batchnorm.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// Sum over the block of each thread's value, in a fixed tree; every thread gets the total.
__device__ double block_sum(double v, double* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) scratch[threadIdx.x] += scratch[threadIdx.x + width];
    __syncthreads();
  }
  const double total = scratch[0];
  __syncthreads();
  return total;
}

__device__ int64_t element(int64_t e, int64_t c, int64_t channels, int64_t pixels) {
  return ((e / pixels) * channels + c) * pixels + e % pixels;
}

__device__ void normalize(const float* x, int64_t count, int64_t c, int64_t channels, int64_t pixels, float mean,
                          float inv, float g, float b, float* xhat, float* y, ActSpec act) {
  for (int64_t e = threadIdx.x; e < count; e += kThreads) {
    const int64_t i = element(e, c, channels, pixels);
    const float v = __fmul_rn(__fsub_rn(x[i], mean), inv);
    xhat[i] = v;
    y[i] = activation_value(act.fn, act.bits, act.max, __fadd_rn(__fmul_rn(g, v), b));
  }
}

__global__ void forward_train_kernel(const float* x, int64_t batch, int64_t channels, int64_t pixels,
                                     const float* gamma, const float* beta, float momentum, float eps,
                                     float* running_mean, float* running_var, float* inv_std, float* xhat, float* y,
                                     ActSpec act) {
  __shared__ double scratch[kThreads];
  const int64_t c = blockIdx.x, count = batch * pixels;
  double sum = 0.0;
  for (int64_t e = threadIdx.x; e < count; e += kThreads) sum += x[element(e, c, channels, pixels)];
  const double mean = block_sum(sum, scratch) / static_cast<double>(count);
  double sq = 0.0;
  for (int64_t e = threadIdx.x; e < count; e += kThreads) {
    const double d = x[element(e, c, channels, pixels)] - mean;
    sq += d * d;
  }
  sq = block_sum(sq, scratch);
  const float inv = static_cast<float>(1.0 / sqrt(sq / static_cast<double>(count) + eps));
  if (threadIdx.x == 0) {
    running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
    if (count > 1)
      running_var[c] =
          static_cast<float>((1.0 - momentum) * running_var[c] + momentum * (sq / static_cast<double>(count - 1)));
    inv_std[c] = inv;
  }
  normalize(x, count, c, channels, pixels, static_cast<float>(mean), inv, gamma[c], beta[c], xhat, y, act);
}

__global__ void forward_eval_kernel(const float* x, int64_t batch, int64_t channels, int64_t pixels,
                                    const float* gamma, const float* beta, float eps, const float* running_mean,
                                    const float* running_var, float* inv_std, float* xhat, float* y, ActSpec act) {
  const int64_t c = blockIdx.x;
  const float inv = static_cast<float>(1.0 / sqrt(static_cast<double>(running_var[c]) + eps));
  if (threadIdx.x == 0) inv_std[c] = inv;
  normalize(x, batch * pixels, c, channels, pixels, running_mean[c], inv, gamma[c], beta[c], xhat, y, act);
}

// With an activation, dy is the gradient at its output, gated at its input (recomputed).
__device__ float gated(const float* dy, const float* xhat, int64_t i, float g, float b, const ActSpec& act) {
  return activation_passes(act.fn, act.bits, act.max, __fadd_rn(__fmul_rn(g, xhat[i]), b)) ? dy[i] : 0.0f;
}

__global__ void backward_kernel(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                                const float* gamma, const float* beta, const float* inv_std, bool trained,
                                float* gamma_grad, float* beta_grad, float* dx, ActSpec act) {
  __shared__ double scratch[kThreads];
  const int64_t c = blockIdx.x, count = batch * pixels;
  const float g = gamma[c], b = beta[c];
  double s_dy = 0.0, s_dy_xhat = 0.0;
  for (int64_t e = threadIdx.x; e < count; e += kThreads) {
    const int64_t i = element(e, c, channels, pixels);
    const float d = gated(dy, xhat, i, g, b, act);
    s_dy += d;
    s_dy_xhat += static_cast<double>(d) * xhat[i];
  }
  s_dy = block_sum(s_dy, scratch);
  s_dy_xhat = block_sum(s_dy_xhat, scratch);
  if (threadIdx.x == 0) {
    gamma_grad[c] += static_cast<float>(s_dy_xhat);
    beta_grad[c] += static_cast<float>(s_dy);
  }
  const float scale = __fmul_rn(gamma[c], inv_std[c]);
  const float mean_dy = trained ? static_cast<float>(s_dy / static_cast<double>(count)) : 0.0f;
  const float mean_dy_xhat = trained ? static_cast<float>(s_dy_xhat / static_cast<double>(count)) : 0.0f;
  for (int64_t e = threadIdx.x; e < count; e += kThreads) {
    const int64_t i = element(e, c, channels, pixels);
    dx[i] = __fmul_rn(scale, __fsub_rn(__fsub_rn(gated(dy, xhat, i, g, b, act), mean_dy), __fmul_rn(xhat[i], mean_dy_xhat)));
  }
}

}  // namespace

void batchnorm_forward_train(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                             const float* beta, float momentum, float eps, float* running_mean, float* running_var,
                             float* inv_std, float* xhat, float* y, const ActSpec& act, cudaStream_t stream) {
  if (channels == 0) return;
  forward_train_kernel<<<static_cast<unsigned>(channels), kThreads, 0, stream>>>(
      x, batch, channels, pixels, gamma, beta, momentum, eps, running_mean, running_var, inv_std, xhat, y, act);
  CUDA_CHECK(cudaGetLastError());
}

void batchnorm_forward_eval(const float* x, int64_t batch, int64_t channels, int64_t pixels, const float* gamma,
                            const float* beta, float eps, const float* running_mean, const float* running_var,
                            float* inv_std, float* xhat, float* y, const ActSpec& act, cudaStream_t stream) {
  if (channels == 0) return;
  forward_eval_kernel<<<static_cast<unsigned>(channels), kThreads, 0, stream>>>(
      x, batch, channels, pixels, gamma, beta, eps, running_mean, running_var, inv_std, xhat, y, act);
  CUDA_CHECK(cudaGetLastError());
}

void batchnorm_backward(const float* dy, const float* xhat, int64_t batch, int64_t channels, int64_t pixels,
                        const float* gamma, const float* beta, const float* inv_std, bool trained, float* gamma_grad,
                        float* beta_grad, float* dx, const ActSpec& act, cudaStream_t stream) {
  if (channels == 0) return;
  backward_kernel<<<static_cast<unsigned>(channels), kThreads, 0, stream>>>(
      dy, xhat, batch, channels, pixels, gamma, beta, inv_std, trained, gamma_grad, beta_grad, dx, act);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
