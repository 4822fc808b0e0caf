// The training step's device quantizer (cuda.hpp: quantize_blocks): compact latent kept blocks and
// row scales -> every code form of a DeviceBsr. Each thread computes one output (a value or a
// 32-bit word of a code stream) from quantize_code (kbit.hpp), so the codes are the CPU's bit
// for bit and no two threads write one word.
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/kbit.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kThreads = 256;

struct QuantizeArgs {
  const float* latent;  // kept x block_rows x block_cols
  const float* scales;  // rows
  const int32_t* block_row_of;
  const int32_t* block_col_idx;
  int64_t rows, cols;
  int block_rows, block_cols, bits;
};

// Code of weight (r, c) of kept block b: quantize_code of its latent value under its row's
// scale; 0 (all-zero bits) at ragged positions.
__device__ __forceinline__ int block_code(const QuantizeArgs& a, int64_t b, int r, int c) {
  const int64_t n = int64_t{a.block_row_of[b]} * a.block_rows + r;
  const int64_t k = int64_t{a.block_col_idx[b]} * a.block_cols + c;
  if (n >= a.rows || k >= a.cols) return 0;
  const float w = a.latent[(b * a.block_rows + r) * a.block_cols + c];
  return quantize_code(w, a.scales[n], a.bits);
}

__global__ void quantize_values_kernel(const QuantizeArgs a, int64_t total, float* values) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= total) return;
  const int64_t be = int64_t{a.block_rows} * a.block_cols;
  const int64_t b = e / be;
  const int r = static_cast<int>((e % be) / a.block_cols), c = static_cast<int>(e % a.block_cols);
  const int64_t n = int64_t{a.block_row_of[b]} * a.block_rows + r;
  const int64_t k = int64_t{a.block_col_idx[b]} * a.block_cols + c;
  values[e] = n < a.rows && k < a.cols ? static_cast<float>(block_code(a, b, r, c)) * a.scales[n] : 0.0f;
}

// Words of the BSR stream (code e = weight (r, c) of block b at e = (b * block_rows + r) * block_cols + c).
__global__ void quantize_packed_kernel(const QuantizeArgs a, int64_t codes, int64_t words, uint32_t* packed) {
  const int64_t w = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (w >= words) return;
  packed[w] = packed_stream_word(w, codes, a.bits, [&](int64_t e) {
    const int64_t be = int64_t{a.block_rows} * a.block_cols;
    return block_code(a, e / be, static_cast<int>((e % be) / a.block_cols), static_cast<int>(e % a.block_cols));
  });
}

// Words of both tile streams (bsr_tiles.hpp).
__global__ void quantize_tiles_kernel(const QuantizeArgs a, int64_t tiles, int64_t words, uint32_t* fwd, uint32_t* bwd) {
  const int64_t w = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (w >= words) return;
  const int tiles_r = a.block_rows / kTile, tiles_c = a.block_cols / kTile;
  auto code_of = [&](int64_t tile, int r, int c) {
    const int64_t b = tile / (tiles_r * tiles_c);
    const int in_block = static_cast<int>(tile % (tiles_r * tiles_c));
    return block_code(a, b, in_block / tiles_c * kTile + r, in_block % tiles_c * kTile + c);
  };
  fwd[w] = tile_stream_word(w, tiles, a.bits, false, code_of);
  bwd[w] = tile_stream_word(w, tiles, a.bits, true, code_of);
}

unsigned grid_for(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

}  // namespace

void quantize_blocks(const float* latent, const float* row_scales, DeviceBsr& W, cudaStream_t stream) {
  const BsrLayout& l = W.layout;
  if (row_scales != W.row_scales.get()) {
    CUDA_CHECK(cudaMemcpyAsync(W.row_scales.get(), row_scales, sizeof(float) * static_cast<size_t>(l.rows),
                               cudaMemcpyDeviceToDevice, stream));
  }
  const int64_t codes = l.kept_blocks() * l.block_elems();
  if (codes == 0) return;
  const QuantizeArgs a{latent, W.row_scales.get(), W.block_row_of.get(), W.block_col_idx.get(), l.rows, l.cols,
                       l.block_rows, l.block_cols, W.bits};
  quantize_values_kernel<<<grid_for(codes), kThreads, 0, stream>>>(a, codes, W.values.get());
  CUDA_CHECK(cudaGetLastError());
  const int64_t packed_words = (W.packed_bytes + 3) / 4;
  quantize_packed_kernel<<<grid_for(packed_words), kThreads, 0, stream>>>(
      a, codes, packed_words, reinterpret_cast<uint32_t*>(W.packed.get()));
  CUDA_CHECK(cudaGetLastError());
  if (W.has_tiles()) {
    const int64_t tiles = codes / (kTile * kTile);
    const int64_t words = tile_stream_words(tiles, W.bits);
    quantize_tiles_kernel<<<grid_for(words), kThreads, 0, stream>>>(a, tiles, words, W.tiles_fwd.get(),
                                                                    W.tiles_bwd.get());
    CUDA_CHECK(cudaGetLastError());
  }
}

}  // namespace bitblock::kernels::cuda
