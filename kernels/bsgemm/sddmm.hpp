#pragma once
// Kept-blocks-only weight gradient (SDDMM) pieces: batch chunks of dY and X are transposed so a
// block's dot products over the batch read contiguous rows and vectorize over m.
#include <cstdint>

namespace bitblock::kernels::detail {

// AT[c * ldt + r] = A[r * lda + c] for columns [c0, c1), r0 <= r < rows; AT[c * ldt + r] = 0
// for rows <= r < ldt.
void transpose_pad_portable(const float* A, int64_t r0, int64_t rows, int64_t lda, int64_t c0, int64_t c1, float* AT,
                            int64_t ldt);
// The same with r0 = 0.
void transpose_pad_avx2(const float* A, int64_t rows, int64_t lda, int64_t c0, int64_t c1, float* AT, int64_t ldt);

// out[r * ldo + c] += dot(dyt row r, xt row c) over len entries (a multiple of 8; rows ld
// apart) for r < nr, c < nc; each dot product as eight strided partial sums added
// ((0+1)+(2+3))+((4+5)+(6+7)).
void sddmm_block_portable(const float* dyt, const float* xt, int64_t ld, int64_t len, int nr, int nc, float* out,
                          int ldo);
void sddmm_block_avx2(const float* dyt, const float* xt, int64_t ld, int64_t len, int nr, int nc, float* out, int ldo);
// The same sums in the same order, two rows per AVX-512 vector; zero_row: len zeros (the partner
// of an odd last row).
void sddmm_block_avx512(const float* dyt, const float* zero_row, const float* xt, int64_t ld, int64_t len, int nr,
                        int nc, float* out, int ldo);

}  // namespace bitblock::kernels::detail
