// Binary GEMMs on the CPU: portable popcount path, float x binary through the panel engine, and
// the ISA dispatch.
#include <algorithm>
#include <vector>

#include "bgemm/bgemm_simd.hpp"
#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "bitblock/kernels/pack.hpp"
#include "common/panel_gemm.hpp"

namespace bitblock::kernels {
namespace {
void bgemm_binary_portable(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C,
                           int64_t ldc) {
  const int64_t words = sign_words(K);
#pragma omp parallel for schedule(static)
  for (int64_t m = 0; m < M; ++m) {
    const uint64_t* a = A + m * words;
    for (int64_t n = 0; n < N; ++n) {
      const uint64_t* b = B + n * words;
      int64_t mismatches = 0;
      for (int64_t w = 0; w < words; ++w) mismatches += __builtin_popcountll(a[w] ^ b[w]);
      C[m * ldc + n] = static_cast<int32_t>(K - 2 * mismatches);
    }
  }
}
}  // namespace

void bgemm_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc) {
  switch (active_isa()) {
    case Isa::Avx512: detail::bgemm_binary_avx512(A, M, B, N, K, C, ldc); break;
    case Isa::Avx2: detail::bgemm_binary_avx2(A, M, B, N, K, C, ldc); break;
    default: bgemm_binary_portable(A, M, B, N, K, C, ldc); break;
  }
}

void bgemm_float_binary(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                        const float* row_scales, float* Y, int64_t ldy) {
  // One panel per 16 weight rows; terms are the K inputs in order, values are sign masks.
  const int64_t words = sign_words(K);
  std::vector<detail::FloatPanel> panels(static_cast<size_t>((N + detail::kPanelChunk - 1) / detail::kPanelChunk));
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < static_cast<int64_t>(panels.size()); ++t) {
    detail::FloatPanel& p = panels[static_cast<size_t>(t)];
    const int64_t n0 = t * detail::kPanelChunk;
    p.reset(n0, static_cast<int>(std::min<int64_t>(detail::kPanelChunk, N - n0)), K);
    for (int64_t k = 0; k < K; ++k) {
      p.idx[static_cast<size_t>(k)] = static_cast<int32_t>(k);
      float* term = p.term(0, k);
      for (int v = 0; v < p.width; ++v) {
        const bool plus = (W[(n0 + v) * words + k / 64] >> (k % 64)) & 1u;
        term[v] = plus ? 0.0f : -0.0f;
      }
    }
  }
  detail::run_panels(X, M, ldx, K, panels, Y, ldy, detail::PanelOp{true, row_scales});
}

}  // namespace bitblock::kernels
