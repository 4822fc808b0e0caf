// Plain CUDA block-sparse GEMMs over dequantized kept blocks, and the DeviceBsr upload. Forward: one thread block per (block-row,
// tile of batch rows), threads = block rows x batch rows, each kept block staged in shared memory
// 32 columns at a time with the matching activation slice. Input gradient: the same over the
// block-column (CSC) index. Weight gradient: one thread block per kept block, batch rows staged
// 16 at a time. Dropped blocks are never touched.
#include <algorithm>
#include <string>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/kbit.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kChunk = 32;
constexpr int kMaxBlock = 256;
constexpr int kThreads = 256;

__global__ void dequantize_kernel(const uint8_t* packed, int64_t bytes, int bits, const int32_t* block_row_of,
                                  const int32_t* block_col_idx, const float* scales, int64_t rows, int64_t cols,
                                  int br, int bc, int64_t total, float* values) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= total) return;
  const int64_t be = static_cast<int64_t>(br) * bc;
  const int64_t b = e / be;
  const int r = static_cast<int>((e % be) / bc), c = static_cast<int>(e % bc);
  const int64_t n = static_cast<int64_t>(block_row_of[b]) * br + r;
  const int64_t k = static_cast<int64_t>(block_col_idx[b]) * bc + c;
  if (n >= rows || k >= cols) {
    values[e] = 0.0f;
    return;
  }
  values[e] = static_cast<float>(code_at(packed, bytes, e, bits)) * scales[n];
}

// out[m][o0 + tx] = sum over the entries' blocks of A[m][a-index] * block value, where for the
// forward product tx is a block row and the terms run over block columns, and for the input
// gradient tx is a block column and the terms run over block rows (kTransposed).
template <bool kTransposed>
__global__ void bsr_product_kernel(const float* A, int64_t M, int64_t lda, int64_t a_cols, const int32_t* ptr,
                                   const int32_t* other_idx, const int32_t* block_id, const float* values, int br,
                                   int bc, float* out, int64_t ldo, int64_t out_cols) {
  extern __shared__ float shared[];
  const int width = kTransposed ? bc : br;   // outputs per thread block row
  const int depth = kTransposed ? br : bc;   // terms per kept block
  const int tm = blockDim.y;
  float* ws = shared;                        // [kChunk][width + 1]
  float* as = shared + kChunk * (width + 1);  // [tm][kChunk + 1]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * blockDim.x + tx, nthreads = blockDim.x * blockDim.y;
  const int64_t slot = blockIdx.y;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * tm;
  float acc = 0.0f;
  for (int32_t e = ptr[slot]; e < ptr[slot + 1]; ++e) {
    const int64_t b = block_id ? block_id[e] : e;
    const int64_t a0 = static_cast<int64_t>(other_idx[e]) * depth;  // first A column of this block's terms
    for (int t0 = 0; t0 < depth; t0 += kChunk) {
      const int tc = min(kChunk, depth - t0);
      for (int q = tid; q < kChunk * width; q += nthreads) {
        const int t = q / width, o = q % width;
        float v = 0.0f;
        if (t < tc) {
          // Block storage is row-major [br][bc]: forward term t is column t0+t of row o.
          v = kTransposed ? values[b * br * bc + static_cast<int64_t>(t0 + t) * bc + o]
                          : values[b * br * bc + static_cast<int64_t>(o) * bc + t0 + t];
        }
        ws[t * (width + 1) + o] = v;
      }
      for (int q = tid; q < tm * kChunk; q += nthreads) {
        const int mm = q / kChunk, t = q % kChunk;
        const int64_t m = m0 + mm, k = a0 + t0 + t;
        as[mm * (kChunk + 1) + t] = (t < tc && m < M && k < a_cols) ? A[m * lda + k] : 0.0f;
      }
      __syncthreads();
      for (int t = 0; t < tc; ++t) acc += as[ty * (kChunk + 1) + t] * ws[t * (width + 1) + tx];
      __syncthreads();
    }
  }
  const int64_t m = m0 + ty, o = slot * width + tx;
  if (m < M && o < out_cols) out[m * ldo + o] = acc;
}

__global__ void weight_grad_kernel(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                                   const int32_t* block_row_of, const int32_t* block_col_idx, int br, int bc,
                                   int64_t rows, int64_t cols, float* dW) {
  constexpr int kRows = 16;
  extern __shared__ float shared[];
  float* ds = shared;                 // [kRows][br]
  float* xs = shared + kRows * br;    // [kRows][bc]
  const int64_t b = blockIdx.x;
  const int64_t n0 = static_cast<int64_t>(block_row_of[b]) * br, k0 = static_cast<int64_t>(block_col_idx[b]) * bc;
  const int be = br * bc;
  for (int e0 = 0; e0 < be; e0 += blockDim.x) {
    const int e = e0 + threadIdx.x;
    const int r = e / bc, c = e % bc;
    float acc = 0.0f;
    for (int64_t mb = 0; mb < M; mb += kRows) {
      for (int q = threadIdx.x; q < kRows * br; q += blockDim.x) {
        const int mm = q / br, rr = q % br;
        ds[q] = (mb + mm < M && n0 + rr < rows) ? dY[(mb + mm) * lddy + n0 + rr] : 0.0f;
      }
      for (int q = threadIdx.x; q < kRows * bc; q += blockDim.x) {
        const int mm = q / bc, cc = q % bc;
        xs[q] = (mb + mm < M && k0 + cc < cols) ? X[(mb + mm) * ldx + k0 + cc] : 0.0f;
      }
      __syncthreads();
      if (e < be) {
        for (int mm = 0; mm < kRows; ++mm) acc += ds[mm * br + r] * xs[mm * bc + c];
      }
      __syncthreads();
    }
    if (e < be) dW[b * be + e] = (n0 + r < rows && k0 + c < cols) ? acc : 0.0f;
  }
}

void check_block(const BsrLayout& l) {
  if (l.block_rows > kMaxBlock || l.block_cols > kMaxBlock) {
    fail_input("cuda bsgemm", "block " + std::to_string(l.block_rows) + "x" + std::to_string(l.block_cols) +
                                  " exceeds the CUDA limit of " + std::to_string(kMaxBlock));
  }
}

template <typename T>
DeviceBuffer<T> to_device(const std::vector<T>& v) {
  DeviceBuffer<T> d(std::max<size_t>(v.size(), 1));
  d.upload(v.data(), v.size());
  return d;
}

template <typename T>
DeviceBuffer<T> zeroed(size_t count) {
  DeviceBuffer<T> d(count);
  if (count) CUDA_CHECK(cudaMemset(d.get(), 0, count * sizeof(T)));
  return d;
}

void launch_product(bool transposed, const float* A, int64_t M, int64_t lda, int64_t a_cols, const int32_t* ptr,
                    const int32_t* other_idx, const int32_t* block_id, int64_t slots, const DeviceBsr& W, float* out,
                    int64_t ldo, int64_t out_cols, cudaStream_t stream) {
  check_block(W.layout);
  if (M == 0 || slots == 0) return;
  const int width = transposed ? W.layout.block_cols : W.layout.block_rows;
  const int tm = std::max(1, kThreads / width);
  const dim3 block(static_cast<unsigned>(width), static_cast<unsigned>(tm));
  // Batch tiles on x (no 65535 limit), block-rows / block-columns on y.
  const dim3 grid(static_cast<unsigned>((M + tm - 1) / tm), static_cast<unsigned>(slots));
  const size_t smem = sizeof(float) * (static_cast<size_t>(kChunk) * (width + 1) + static_cast<size_t>(tm) * (kChunk + 1));
  if (transposed) {
    bsr_product_kernel<true><<<grid, block, smem, stream>>>(A, M, lda, a_cols, ptr, other_idx, block_id,
                                                            W.values.get(), W.layout.block_rows, W.layout.block_cols,
                                                            out, ldo, out_cols);
  } else {
    bsr_product_kernel<false><<<grid, block, smem, stream>>>(A, M, lda, a_cols, ptr, other_idx, block_id,
                                                             W.values.get(), W.layout.block_rows, W.layout.block_cols,
                                                             out, ldo, out_cols);
  }
  CUDA_CHECK(cudaGetLastError());
}

// The values of W^T as BSR (bc x br blocks in block-column order of W): transposed block q of
// the CSC view is block col_block_id[q], transposed.
__global__ void transpose_values_kernel(const int32_t* col_block_id, int br, int bc, int64_t total, const float* v,
                                        float* vt) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t be = static_cast<int64_t>(br) * bc, q = e / be;
    const int c = static_cast<int>((e % be) / br), r = static_cast<int>(e % br);  // vt block is [bc][br]
    vt[e] = v[static_cast<int64_t>(col_block_id[q]) * be + static_cast<int64_t>(r) * bc + c];
  }
}

// Compact kept blocks <-> dense matrix: one thread per compact element. kMode 0 gathers (ragged
// positions 0), 1 writes the kept in-matrix positions.
template <int kMode>
__global__ void blocks_kernel(const int32_t* block_row_of, const int32_t* block_col_idx, int64_t rows, int64_t cols,
                              int br, int bc, int64_t total, const float* src, float* dst) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t be = static_cast<int64_t>(br) * bc, b = e / be;
    const int64_t n = static_cast<int64_t>(block_row_of[b]) * br + (e % be) / bc;
    const int64_t k = static_cast<int64_t>(block_col_idx[b]) * bc + e % bc;
    const bool inside = n < rows && k < cols;
    if (kMode == 0) dst[e] = inside ? src[n * cols + k] : 0.0f;
    else if (inside) dst[n * cols + k] = src[e];
  }
}

unsigned grid_for(int64_t total) {
  return static_cast<unsigned>(std::min<int64_t>((total + kThreads - 1) / kThreads, int64_t{65535} * 32));
}

template <int kMode>
void move_blocks(const DeviceBsr& W, const float* src, float* dst, cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  const int64_t total = l.kept_blocks() * l.block_elems();
  if (total == 0) return;
  blocks_kernel<kMode><<<grid_for(total), kThreads, 0, stream>>>(W.block_row_of.get(), W.block_col_idx.get(), l.rows,
                                                                  l.cols, l.block_rows, l.block_cols, total, src, dst);
  CUDA_CHECK(cudaGetLastError());
}

__global__ void broadcast_kernel(const float* value, int64_t n, float* out) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = value[0];
}

}  // namespace

DeviceBsr device_bsr_for_layout(const BsrLayout& l, int bits) {
  if ((bits < 1 || bits > 8) && bits != 32)
    fail_input("device_bsr_for_layout", "unsupported code width " + std::to_string(bits));
  DeviceBsr d;
  d.layout = l;
  d.bits = bits;
  std::vector<int32_t> row_of(static_cast<size_t>(l.kept_blocks()));
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) row_of[static_cast<size_t>(b)] = static_cast<int32_t>(i);
  }
  // Block-column index: per block-column its kept blocks (block-row, block id), block-rows ascending.
  const int64_t nbc = l.num_block_cols();
  std::vector<int32_t> col_ptr(static_cast<size_t>(nbc + 1), 0), col_row(row_of.size()), col_id(row_of.size());
  for (int32_t j : l.block_col_idx) ++col_ptr[static_cast<size_t>(j) + 1];
  for (int64_t j = 0; j < nbc; ++j) col_ptr[j + 1] += col_ptr[j];
  std::vector<int32_t> fill(col_ptr.begin(), col_ptr.end() - 1);
  for (int64_t b = 0; b < l.kept_blocks(); ++b) {
    const int32_t at = fill[static_cast<size_t>(l.block_col_idx[b])]++;
    col_row[static_cast<size_t>(at)] = row_of[static_cast<size_t>(b)];
    col_id[static_cast<size_t>(at)] = static_cast<int32_t>(b);
  }
  d.block_row_ptr = to_device(l.block_row_ptr);
  d.block_col_idx = to_device(l.block_col_idx);
  d.block_row_of = to_device(row_of);
  d.block_col_ptr = to_device(col_ptr);
  d.col_block_row = to_device(col_row);
  d.col_block_id = to_device(col_id);
  const int64_t codes = l.kept_blocks() * l.block_elems();
  d.packed_bytes = bits == 32 ? 0 : (codes * bits + 7) / 8;  // float weights: values only
  d.packed = zeroed<uint8_t>(static_cast<size_t>((d.packed_bytes + 3) / 4 * 4 + 4));  // whole words, one spare
  d.row_scales = zeroed<float>(static_cast<size_t>(l.rows));
  d.values = zeroed<float>(static_cast<size_t>(std::max<int64_t>(1, codes)));
  if (bits <= 8 && tc_blocks_supported(l.block_rows, l.block_cols)) {
    const int64_t words = tile_stream_words(codes / (kTile * kTile), bits);
    d.tiles_fwd = zeroed<uint32_t>(static_cast<size_t>(words));
    d.tiles_bwd = zeroed<uint32_t>(static_cast<size_t>(words));
    d.wgrad = wgrad_schedule(l, device_limits().sm_count, device_limits().smem_per_block);
    d.wgrad_units = to_device(d.wgrad.units);
    d.wgrad_items = to_device(d.wgrad.items);
    const int most = wgrad_batch_splits(static_cast<int64_t>(d.wgrad.units.size()), int64_t{1} << 40,
                                        device_limits().sm_count);
    if (most > 1) d.wgrad_partials = DeviceBuffer<float>(static_cast<size_t>(most * codes));
  }
  // The copies above ran on the legacy stream; finish them before any other stream reads W. Only
  // that stream: a device-wide synchronisation is not allowed while another thread's model
  // captures its step on its own stream.
  CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
  return d;
}

DeviceBsr upload_bsr(const BsrWeights& w, cudaStream_t stream) {
  bsr_validate(w, "upload_bsr");
  check_block(w.layout);
  DeviceBsr d = device_bsr_for_layout(w.layout, w.bits);
  d.packed.upload(w.packed.data(), w.packed.size());
  d.row_scales.upload(w.row_scales.data(), w.row_scales.size());
  if (d.has_tiles()) {
    const BsrTiles t = bsr_tiles(w);
    d.tiles_fwd.upload(t.fwd.data(), t.fwd.size());
    d.tiles_bwd.upload(t.bwd.data(), t.bwd.size());
  }
  bsr_dequantize(d, stream);
  return d;
}

void bsr_dequantize(DeviceBsr& w, cudaStream_t stream) {
  const BsrLayout& l = w.layout;
  const int64_t total = l.kept_blocks() * l.block_elems();
  if (total == 0) return;
  dequantize_kernel<<<static_cast<unsigned>((total + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
      w.packed.get(), w.packed_bytes, w.bits, w.block_row_of.get(), w.block_col_idx.get(),
      w.row_scales.get(), l.rows, l.cols, l.block_rows, l.block_cols, total, w.values.get());
  CUDA_CHECK(cudaGetLastError());
}

void bsgemm_forward(const float* X, int64_t M, int64_t ldx, const DeviceBsr& W, float* Y, int64_t ldy,
                    cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  launch_product(false, X, M, ldx, l.cols, W.block_row_ptr.get(), W.block_col_idx.get(), nullptr,
                 l.num_block_rows(), W, Y, ldy, l.rows, stream);
}

void bsgemm_backward_input(const float* dY, int64_t M, int64_t lddy, const DeviceBsr& W, float* dX, int64_t lddx,
                           cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  launch_product(true, dY, M, lddy, l.rows, W.block_col_ptr.get(), W.col_block_row.get(), W.col_block_id.get(),
                 l.num_block_cols(), W, dX, lddx, l.cols, stream);
}

void bsgemm_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx,
                            const DeviceBsr& W, float* dW, cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  check_block(l);
  if (l.kept_blocks() == 0) return;
  const size_t smem = sizeof(float) * 16 * static_cast<size_t>(l.block_rows + l.block_cols);
  weight_grad_kernel<<<static_cast<unsigned>(l.kept_blocks()), kThreads, smem, stream>>>(
      dY, M, lddy, X, ldx, W.block_row_of.get(), W.block_col_idx.get(), l.block_rows, l.block_cols, l.rows, l.cols,
      dW);
  CUDA_CHECK(cudaGetLastError());
}

void bsr_transpose_values(const DeviceBsr& W, float* transposed, cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  const int64_t total = l.kept_blocks() * l.block_elems();
  if (total == 0) return;
  transpose_values_kernel<<<grid_for(total), kThreads, 0, stream>>>(W.col_block_id.get(), l.block_rows, l.block_cols,
                                                                     total, W.values.get(), transposed);
  CUDA_CHECK(cudaGetLastError());
}

void bsr_gather_blocks(const DeviceBsr& W, const float* dense, float* blocks, cudaStream_t stream) {
  move_blocks<0>(W, dense, blocks, stream);
}

void bsr_write_blocks(const DeviceBsr& W, const float* blocks, float* dense, cudaStream_t stream) {
  move_blocks<1>(W, blocks, dense, stream);
}

void bsr_scatter_blocks(const DeviceBsr& W, const float* blocks, float* dense, cudaStream_t stream) {
  CUDA_CHECK(cudaMemsetAsync(dense, 0, static_cast<size_t>(W.layout.rows * W.layout.cols) * sizeof(float), stream));
  move_blocks<1>(W, blocks, dense, stream);
}

void broadcast_scale(const float* scale, int64_t n, float* out, cudaStream_t stream) {
  if (n == 0) return;
  broadcast_kernel<<<grid_for(n), kThreads, 0, stream>>>(scale, n, out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
