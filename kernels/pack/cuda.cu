// CUDA sign packing: one warp per 64-bit word, two coalesced 32-float loads and two ballots.
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::cuda {
namespace {

__global__ void pack_signs_kernel(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out,
                                  int64_t words) {
  const int64_t warp = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= rows * words) return;  // whole warps exit together
  const int64_t r = warp / words, w = warp % words;
  const int64_t c_lo = w * 64 + lane, c_hi = c_lo + 32;
  const bool lo = c_lo < cols && X[r * ldx + c_lo] >= 0.0f;
  const bool hi = c_hi < cols && X[r * ldx + c_hi] >= 0.0f;
  const unsigned lo_bits = __ballot_sync(0xffffffffu, lo);
  const unsigned hi_bits = __ballot_sync(0xffffffffu, hi);
  if (lane == 0) out[warp] = static_cast<uint64_t>(lo_bits) | (static_cast<uint64_t>(hi_bits) << 32);
}

}  // namespace

void pack_signs(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out, cudaStream_t stream) {
  const int64_t words = sign_words(cols);
  const int64_t threads = rows * words * 32;
  if (threads == 0) return;
  const int block = 256;
  pack_signs_kernel<<<static_cast<unsigned>((threads + block - 1) / block), block, 0, stream>>>(X, rows, cols, ldx,
                                                                                                out, words);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
