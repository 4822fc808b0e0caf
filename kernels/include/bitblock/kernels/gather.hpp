#pragma once
// Column gather and scatter of row-major float matrices: the per-step index moves of training on
// kept rows or columns only. A column-sparse layer reads the kept input columns of X into a
// compact matrix; a row-sparse layer writes its compact outputs into the kept output columns of
// Y and reads the kept columns of dY back. Every element is a copy (no arithmetic), so results
// are exact; rows run in parallel (OpenMP) for large matrices.
#include <cstdint>

namespace bitblock::kernels {

// Y[m][k] = X[m][cols[k]] for m < M, k < n (Y overwritten; cols any indices into X's rows).
void gather_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                    int64_t ldy);
// Y[m][cols[k]] = X[m][k] and Y[m][j] = 0 for every other j < width: the adjoint of
// gather_columns, for cols strictly increasing and < width (Y overwritten).
void scatter_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                     int64_t width, int64_t ldy);

namespace reference {
void gather_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                    int64_t ldy);
void scatter_columns(const float* X, int64_t M, int64_t ldx, const int32_t* cols, int64_t n, float* Y,
                     int64_t width, int64_t ldy);
}  // namespace reference

}  // namespace bitblock::kernels
