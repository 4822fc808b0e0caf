// CUDA pieces of the binary GEMM on sign inputs (cuda_sign_input.hpp): one thread per packed word
// or per output.
#include "bitblock/kernels/cuda.hpp"
#include "bitblock/kernels/cuda_check.hpp"
#include "bitblock/kernels/cuda_sign_input.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

__global__ void pack_sign_input_kernel(const float* X, int64_t M, int64_t K, int64_t ldx, int64_t words,
                                       uint64_t* plus, uint64_t* minus) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= M * words) return;
  const int64_t m = e / words, w = e % words, c0 = w * 64;
  const int n = static_cast<int>(K - c0 < 64 ? K - c0 : 64);
  uint64_t p = 0, q = 0;
  for (int c = 0; c < n; ++c) {
    const float v = X[m * ldx + c0 + c];
    p |= static_cast<uint64_t>(v >= 0.0f) << c;
    q |= static_cast<uint64_t>(v > 0.0f) << c;
  }
  plus[e] = p;
  minus[e] = q;
}

__global__ void row_scales_kernel(const float* W, int64_t N, int64_t K, float* scales) {
  const int64_t n = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (n < N) scales[n] = fabsf(W[n * K]);
}

__global__ void finish_kernel(const int32_t* cp, const int32_t* cm, int64_t M, int64_t N, const float* scales, float* Y,
                              int64_t ldy) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= M * N) return;
  const int64_t m = e / N, n = e % N;
  Y[m * ldy + n] = static_cast<float>((cp[e] + cm[e]) / 2) * scales[n];
}

}  // namespace

void pack_sign_input(const float* X, int64_t M, int64_t K, int64_t ldx, uint64_t* plus, uint64_t* minus,
                     cudaStream_t stream) {
  const int64_t words = sign_words(K);
  if (M * words == 0) return;
  pack_sign_input_kernel<<<blocks_for(M * words), kThreads, 0, stream>>>(X, M, K, ldx, words, plus, minus);
  CUDA_CHECK(cudaGetLastError());
}

void binary_dense_weights(const float* W, int64_t N, int64_t K, uint64_t* signs, float* scales, cudaStream_t stream) {
  if (N * K == 0) return;
  pack_signs(W, N, K, K, signs, stream);
  row_scales_kernel<<<blocks_for(N), kThreads, 0, stream>>>(W, N, K, scales);
  CUDA_CHECK(cudaGetLastError());
}

void sign_input_finish(const int32_t* c_plus, const int32_t* c_minus, int64_t M, int64_t N, const float* scales,
                       float* Y, int64_t ldy, cudaStream_t stream) {
  if (M * N == 0) return;
  finish_kernel<<<blocks_for(M * N), kThreads, 0, stream>>>(c_plus, c_minus, M, N, scales, Y, ldy);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
