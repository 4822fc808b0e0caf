// CUDA binary GEMMs. Binary x binary: 32 x 32 tiles of C per 256-thread block (each thread 4
// outputs), 16-word slices of A and B rows staged in shared memory with coalesced loads, XOR +
// __popcll. Float x binary: 32 x 32 tiles, X and the weight words staged in shared memory, each
// term added or subtracted by its sign bit, scale applied once.
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kTile = 32;
constexpr int kWords = 16;

__global__ void bgemm_binary_kernel(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K,
                                    int64_t words, int32_t* C, int64_t ldc) {
  __shared__ uint64_t as[kTile][kWords + 1];
  __shared__ uint64_t bs[kTile][kWords + 1];
  const int tx = threadIdx.x % kTile;  // column of C in the tile
  const int ty = threadIdx.x / kTile;  // 0..7: rows ty, ty+8, ty+16, ty+24
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTile, n0 = static_cast<int64_t>(blockIdx.y) * kTile;
  int mismatches[4] = {0, 0, 0, 0};
  for (int64_t w0 = 0; w0 < words; w0 += kWords) {
    // 32 rows x 16 words per operand: 512 words, 2 per thread, consecutive threads read consecutive words.
    for (int e = threadIdx.x; e < kTile * kWords; e += blockDim.x) {
      const int row = e / kWords, w = e % kWords;
      const bool in_w = w0 + w < words;
      as[row][w] = (m0 + row < M && in_w) ? A[(m0 + row) * words + w0 + w] : 0;
      bs[row][w] = (n0 + row < N && in_w) ? B[(n0 + row) * words + w0 + w] : 0;
    }
    __syncthreads();
    for (int w = 0; w < kWords; ++w) {
      const uint64_t b = bs[tx][w];
      for (int i = 0; i < 4; ++i) mismatches[i] += __popcll(as[ty + 8 * i][w] ^ b);
    }
    __syncthreads();
  }
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + ty + 8 * i, n = n0 + tx;
    if (m < M && n < N) C[m * ldc + n] = static_cast<int32_t>(K - 2 * mismatches[i]);
  }
}

__global__ void bgemm_float_binary_kernel(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N,
                                          int64_t K, int64_t words, const float* scales, float* Y, int64_t ldy) {
  __shared__ float xs[kTile][65];
  __shared__ uint64_t ws[kTile];
  const int tx = threadIdx.x % kTile;
  const int ty = threadIdx.x / kTile;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTile, n0 = static_cast<int64_t>(blockIdx.y) * kTile;
  float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int64_t w = 0; w < words; ++w) {
    for (int e = threadIdx.x; e < kTile * 64; e += blockDim.x) {
      const int row = e / 64, c = e % 64;
      const int64_t k = w * 64 + c;
      xs[row][c] = (m0 + row < M && k < K) ? X[(m0 + row) * ldx + k] : 0.0f;
    }
    if (threadIdx.x < kTile) ws[threadIdx.x] = n0 + threadIdx.x < N ? W[(n0 + threadIdx.x) * words + w] : 0;
    __syncthreads();
    const uint64_t bits = ws[tx];
    for (int c = 0; c < 64; ++c) {
      const bool plus = (bits >> c) & 1u;
      for (int i = 0; i < 4; ++i) {
        const float x = xs[ty + 8 * i][c];
        acc[i] += plus ? x : -x;  // padding columns hold x = 0
      }
    }
    __syncthreads();
  }
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + ty + 8 * i, n = n0 + tx;
    if (m < M && n < N) Y[m * ldy + n] = acc[i] * (scales ? scales[n] : 1.0f);
  }
}

// M (the batch, unbounded) on gridDim.x, which takes 2^31 - 1 tiles; N on gridDim.y (65535).
dim3 tiles(int64_t M, int64_t N) {
  const int64_t n_tiles = (N + kTile - 1) / kTile;
  if (n_tiles > 65535) fail_input("bgemm", "N = " + std::to_string(N) + " is over 65535 tiles of " + std::to_string(kTile));
  return dim3(static_cast<unsigned>((M + kTile - 1) / kTile), static_cast<unsigned>(n_tiles));
}

}  // namespace

void bgemm_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc,
                  cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  bgemm_binary_kernel<<<tiles(M, N), 256, 0, stream>>>(A, M, B, N, K, sign_words(K), C, ldc);
  CUDA_CHECK(cudaGetLastError());
}

void bgemm_float_binary(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                        const float* row_scales, float* Y, int64_t ldy, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  bgemm_float_binary_kernel<<<tiles(M, N), 256, 0, stream>>>(X, M, ldx, W, N, K, sign_words(K), row_scales, Y, ldy);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
