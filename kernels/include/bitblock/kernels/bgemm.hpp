#pragma once
// Binary GEMMs on sign words (pack.hpp: bit 1 = +1, bit 0 = -1, sign_words(K) words per row,
// rows contiguous, zero padding bits).
#include <cstdint>

namespace bitblock::kernels {

// Binary x binary: C[m][n] = sum_k A[m][k] * B[n][k] over +-1 values, exactly:
// K - 2 * popcount(A[m] xor B[n]). A is M rows, B is N rows, both of sign_words(K) words.
// C row m at C + m * ldc. AVX-512 (VPOPCNTDQ), AVX2 (nibble-table popcount) or portable
// (popcount instruction) by active_isa(); OpenMP over rows of C.
void bgemm_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc);

// Float activations x binary weights: Y[m][n] = scale[n] * sum_k X[m][k] * sign(W[n][k]) with the
// signs from W's words (N rows). The sum uses only adds and subtracts (sign flips), the scale is
// applied once per output. row_scales may be null (1). Y is overwritten.
void bgemm_float_binary(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                        const float* row_scales, float* Y, int64_t ldy);

namespace reference {
void bgemm_binary(const uint64_t* A, int64_t M, const uint64_t* B, int64_t N, int64_t K, int32_t* C, int64_t ldc);
void bgemm_float_binary(const float* X, int64_t M, int64_t ldx, const uint64_t* W, int64_t N, int64_t K,
                        const float* row_scales, float* Y, int64_t ldy);
}  // namespace reference

}  // namespace bitblock::kernels
