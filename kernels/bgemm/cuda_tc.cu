// Tensor-core binary GEMMs (cuda_tc.hpp): bits x bits on the b1 AND-popc or the s8 MMA, float x
// binary on the bf16 MMA, 128 x 128 tiles per CTA. The kernels' bodies are written once for host
// and device in bitblock/kernels/tc_binary_body.hpp; here they run on the device's instructions
// (tc::DeviceThread), and tests/kernels/test_tc_emulation.cpp runs the same bodies on the CPU.
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/cuda_tc.hpp"
#include "bitblock/kernels/pack.hpp"
#include "bitblock/kernels/tc_binary_body.hpp"
#include "bitblock/kernels/tc_schedule.hpp"
#include "common/mma.cuh"

namespace bitblock::kernels::cuda {
namespace {

// The bodies (tc_binary_body.hpp) on the device's instructions.
template <bool kB1>
__global__ void __launch_bounds__(tc_body::kBinThreads) tc_binary_kernel(tc_body::BinaryArgs args) {
  extern __shared__ __align__(16) unsigned char smem[];
  tc_body::binary_tile<kB1>(tc::DeviceThread{smem}, args);
}

__global__ void __launch_bounds__(tc_body::kBinThreads) tc_float_binary_kernel(tc_body::FloatBinaryArgs args) {
  __shared__ __align__(16) unsigned char smem[tc_body::kFbSmemBytes];
  tc_body::float_binary_tile(tc::DeviceThread{smem}, args);
}

// M (the batch, unbounded) on gridDim.x, which takes 2^31 - 1 tiles; N on gridDim.y (65535).
dim3 grid_for(int64_t M, int64_t N) {
  const int64_t n_tiles = (N + kBinTile - 1) / kBinTile;
  if (n_tiles > 65535) fail_input("bgemm_tc", "N = " + std::to_string(N) + " is over 65535 tiles of 128");
  return dim3(static_cast<unsigned>((M + kBinTile - 1) / kBinTile), static_cast<unsigned>(n_tiles));
}

template <bool kB1>
void run_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc,
                cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  const bool vec_out = ldc % 2 == 0 && reinterpret_cast<uintptr_t>(C) % 8 == 0;
  tc_binary_kernel<kB1><<<grid_for(M, N), tc_body::kBinThreads, tc_body::kBinSmemBytes, stream>>>(
      tc_body::BinaryArgs{A, M, B, N, K, C, ldc, vec_out});
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void bgemm_binary_tc_b1(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                        int64_t ldc, cudaStream_t stream) {
  run_binary<true>(A, M, B, N, K, C, ldc, stream);
}

void bgemm_binary_tc_s8(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                        int64_t ldc, cudaStream_t stream) {
  run_binary<false>(A, M, B, N, K, C, ldc, stream);
}

void bgemm_float_binary_tc(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                           const float* row_scales, float* Y, int64_t ldy, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  const bool vec_x = ldx % 4 == 0 && reinterpret_cast<uintptr_t>(X) % 16 == 0;
  const bool vec_out = ldy % 2 == 0 && reinterpret_cast<uintptr_t>(Y) % 8 == 0;
  tc_float_binary_kernel<<<grid_for(M, N), tc_body::kBinThreads, 0, stream>>>(
      tc_body::FloatBinaryArgs{X, M, ldx, W, N, K, row_scales, Y, ldy, vec_x, vec_out});
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace bitblock::kernels::cuda
