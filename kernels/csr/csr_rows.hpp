#pragma once
// Inner loops of the CSR products on batch-contiguous operands: row r of a transposed matrix
// holds one feature's batch values at r * ld .. r * ld + len (len a multiple of 8, zero padded).
#include <cstdint>

namespace bitblock::kernels::detail {

// out[i * ld + m] = sum over e in ptr[i] .. ptr[i+1) of val[e] * in[idx[e] * ld + m] for m < len
// and i0 <= i < i1, summed in e order.
void spmm_rows_portable(const int32_t* ptr, const int32_t* idx, const float* val, const float* in, int64_t ld,
                        int64_t len, int64_t i0, int64_t i1, float* out);
void spmm_rows_avx2(const int32_t* ptr, const int32_t* idx, const float* val, const float* in, int64_t ld,
                    int64_t len, int64_t i0, int64_t i1, float* out);

// dw[e] = dot(a row i, b row idx[e]) over len for e in ptr[i] .. ptr[i+1), i0 <= i < i1; each dot
// product as eight strided partial sums added ((0+1)+(2+3))+((4+5)+(6+7)).
void sddmm_rows_portable(const int32_t* ptr, const int32_t* idx, const float* a, const float* b, int64_t ld,
                         int64_t len, int64_t i0, int64_t i1, float* dw);
void sddmm_rows_avx2(const int32_t* ptr, const int32_t* idx, const float* a, const float* b, int64_t ld,
                     int64_t len, int64_t i0, int64_t i1, float* dw);

// AT[c * ldt + r] = A[r * lda + c] for columns [c0, c1), r0 <= r < rows; AT[c * ldt + r] = 0
// for rows <= r < ldt. The AVX2 version with r0 = 0.
void transpose_pad_portable(const float* A, int64_t r0, int64_t rows, int64_t lda, int64_t c0, int64_t c1, float* AT,
                            int64_t ldt);
void transpose_pad_avx2(const float* A, int64_t rows, int64_t lda, int64_t c0, int64_t c1, float* AT, int64_t ldt);

// Y[c * ldy + r] = T[r * ldt + c] for r < rows, c0 <= c < c1 (nothing else of Y is written).
void transpose_back_portable(const float* T, int64_t rows, int64_t ldt, int64_t c0, int64_t c1, float* Y,
                             int64_t ldy);
void transpose_back_avx2(const float* T, int64_t rows, int64_t ldt, int64_t c0, int64_t c1, float* Y, int64_t ldy);

}  // namespace bitblock::kernels::detail
