// The weight constraint's per-step work on the GPU. Row statistics: one warp per row, lane j
// taking the row's kept weights j, j + 32, ..., then a fixed shuffle tree (max and counts exact;
// binary sums deterministic). Per-layer scales: one thread combining the rows in order, as the
// CPU does. Quantize / backward / clip: one thread per weight through kbit.hpp, equal bits.
#include <cmath>

#include "bitblock/kernels/constraint.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/kbit.hpp"
#include "common/cuda_handles.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

__device__ void warp_reduce(int bits, double& s, long long& n) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const double other = __shfl_down_sync(0xffffffffu, s, offset);
    s = bits == 1 ? s + other : fmax(s, other);
    n += __shfl_down_sync(0xffffffffu, n, offset);
  }
}

__global__ void row_stats_kernel(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                                 double* stat, int64_t* count) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;  // whole warps leave together
  double s = 0.0;
  long long n = 0;
  for (int64_t c = lane; c < cols; c += 32) {
    const int64_t i = row * cols + c;
    const bool kept = mask[i] != 0;
    const double a = kept ? static_cast<double>(fabsf(latent[i])) : 0.0;
    s = bits == 1 ? s + a : fmax(s, a);
    n += kept;
  }
  warp_reduce(bits, s, n);
  if (lane == 0) {
    stat[row] = s;
    count[row] = n;
  }
}

__global__ void row_stats_blocks_kernel(BlockLayoutView l, const float* latent, int bits, double* stat,
                                        int64_t* count) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= l.rows) return;
  const int64_t i = row / l.block_rows;
  const int r = static_cast<int>(row % l.block_rows), bc = l.block_cols;
  const int32_t b0 = l.block_row_ptr[i], b1 = l.block_row_ptr[i + 1];
  double s = 0.0;
  long long n = 0;
  for (int64_t e = lane; e < static_cast<int64_t>(b1 - b0) * bc; e += 32) {
    const int64_t b = b0 + e / bc;
    const int c = static_cast<int>(e % bc);
    if (c >= l.cols_in_block_col(l.block_col_idx[b])) continue;
    const double a = fabsf(latent[(b * l.block_rows + r) * bc + c]);
    s = bits == 1 ? s + a : fmax(s, a);
    ++n;
  }
  warp_reduce(bits, s, n);
  if (lane == 0) {
    stat[row] = s;
    count[row] = n;
  }
}

__device__ float to_scale(int bits, double s, int64_t n) {
  if (bits == 1) return n > 0 ? static_cast<float>(s / static_cast<double>(n)) : 0.0f;
  return __fdiv_rn(static_cast<float>(s), static_cast<float>(kbit_limit(bits)));
}

__global__ void scales_kernel(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count,
                              float* scales) {
  if (per_row) {
    for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
         r += static_cast<int64_t>(gridDim.x) * blockDim.x)
      scales[r] = to_scale(bits, stat[r], count[r]);
    return;
  }
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double total = 0.0;
  int64_t n = 0;
  for (int64_t r = 0; r < rows; ++r) {
    total = bits == 1 ? total + stat[r] : fmax(total, stat[r]);
    n += count[r];
  }
  scales[0] = to_scale(bits, total, n);
}

__global__ void quantize_kernel(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                                const float* scales, bool per_row, float* effective) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * cols;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    if (!mask[i]) {
      effective[i] = 0.0f;
    } else if (bits == 32) {
      effective[i] = latent[i];
    } else {
      const float s = scales[per_row ? i / cols : 0];
      effective[i] = __fmul_rn(static_cast<float>(quantize_code(latent[i], s, bits)), s);
    }
  }
}

__global__ void quantize_blocks_kernel(BlockLayoutView l, const float* latent, int bits, const float* scales,
                                       bool per_row, float* effective) {
  const int64_t be = l.block_elems();
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < l.kept_blocks * be;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    if (bits == 32) {
      effective[e] = latent[e];
      continue;
    }
    const int64_t b = e / be;
    const int r = static_cast<int>((e % be) / l.block_cols), c = static_cast<int>(e % l.block_cols);
    const int64_t i = l.block_row_of[b];
    if (r >= l.rows_in_block_row(i) || c >= l.cols_in_block_col(l.block_col_idx[b])) {
      effective[e] = 0.0f;
      continue;
    }
    const float s = scales[per_row ? i * l.block_rows + r : 0];
    effective[e] = __fmul_rn(static_cast<float>(quantize_code(latent[e], s, bits)), s);
  }
}

__global__ void backward_kernel(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n,
                                float clip, float* grad_latent) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    grad_latent[i] = (mask[i] != 0 && fabsf(latent[i]) <= clip) ? grad_effective[i] : 0.0f;
}

__global__ void backward_blocks_kernel(const float* latent, const float* grad_effective, int64_t n, float clip,
                                       float* grad_latent) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    grad_latent[i] = __fadd_rn(grad_latent[i], fabsf(latent[i]) <= clip ? grad_effective[i] : 0.0f);
}

__global__ void clip_kernel(int64_t n, float clip, float* latent) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float w = latent[i];
    const float lo = w < -clip ? -clip : w;  // std::max(-clip, w)
    latent[i] = clip < lo ? clip : lo;       // std::min(clip, lo)
  }
}

unsigned warp_blocks(int64_t rows) { return static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock); }

}  // namespace

void weight_row_statistics(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                           double* stat, int64_t* count, cudaStream_t stream) {
  if (rows == 0) return;
  row_stats_kernel<<<warp_blocks(rows), 32 * kWarpsPerBlock, 0, stream>>>(latent, mask, rows, cols, bits, stat, count);
  CUDA_CHECK(cudaGetLastError());
}

void weight_row_statistics_blocks(const BlockLayoutView& layout, const float* latent, int bits, double* stat,
                                  int64_t* count, cudaStream_t stream) {
  if (layout.rows == 0) return;
  row_stats_blocks_kernel<<<warp_blocks(layout.rows), 32 * kWarpsPerBlock, 0, stream>>>(layout, latent, bits, stat,
                                                                                         count);
  CUDA_CHECK(cudaGetLastError());
}

void weight_scales(int bits, bool per_row, int64_t rows, const double* stat, const int64_t* count, float* scales,
                   cudaStream_t stream) {
  scales_kernel<<<per_row ? blocks_for(rows) : 1, per_row ? 256 : 1, 0, stream>>>(bits, per_row, rows, stat, count,
                                                                                  scales);
  CUDA_CHECK(cudaGetLastError());
}

void weight_quantize(const float* latent, const uint8_t* mask, int64_t rows, int64_t cols, int bits,
                     const float* scales, bool per_row, float* effective, cudaStream_t stream) {
  if (rows * cols == 0) return;
  quantize_kernel<<<blocks_for(rows * cols), 256, 0, stream>>>(latent, mask, rows, cols, bits, scales, per_row,
                                                               effective);
  CUDA_CHECK(cudaGetLastError());
}

void weight_quantize_blocks(const BlockLayoutView& layout, const float* latent, int bits, const float* scales,
                            bool per_row, float* effective, cudaStream_t stream) {
  const int64_t n = layout.kept_blocks * layout.block_elems();
  if (n == 0) return;
  quantize_blocks_kernel<<<blocks_for(n), 256, 0, stream>>>(layout, latent, bits, scales, per_row, effective);
  CUDA_CHECK(cudaGetLastError());
}

void weight_backward(const float* latent, const float* grad_effective, const uint8_t* mask, int64_t n, float clip,
                     float* grad_latent, cudaStream_t stream) {
  if (n == 0) return;
  backward_kernel<<<blocks_for(n), 256, 0, stream>>>(latent, grad_effective, mask, n, clip, grad_latent);
  CUDA_CHECK(cudaGetLastError());
}

void weight_backward_blocks(const float* latent, const float* grad_effective, int64_t n, float clip,
                            float* grad_latent, cudaStream_t stream) {
  if (n == 0) return;
  backward_blocks_kernel<<<blocks_for(n), 256, 0, stream>>>(latent, grad_effective, n, clip, grad_latent);
  CUDA_CHECK(cudaGetLastError());
}

void weight_clip(int64_t n, float clip, float* latent, cudaStream_t stream) {
  if (n == 0) return;
  clip_kernel<<<blocks_for(n), 256, 0, stream>>>(n, clip, latent);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
