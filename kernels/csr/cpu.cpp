// CSR training products on the CPU: operands transposed so the batch runs along vector lanes
// (rows padded to a multiple of 8), the inner loops of csr_rows.hpp over output rows in parallel,
// results transposed back. The input gradient runs the forward's loop on the column view.
#include <algorithm>
#include <vector>

#include "bitblock/kernels/cpu_features.hpp"
#include "bitblock/kernels/csr.hpp"
#include "csr/csr_rows.hpp"

namespace bitblock::kernels {
namespace {

constexpr int64_t kRowsPerTask = 16;    // output rows per OpenMP work item
constexpr int64_t kColsPerTask = 64;    // columns per transpose work item
constexpr int64_t kParallelWork = 1 << 16;  // below this many multiply-adds one thread does it all

int64_t padded(int64_t M) { return (M + 7) / 8 * 8; }

// T[c * ldt + r] = A[r * lda + c] for c < cols, zero rows M .. ldt.
void transpose_in(const float* A, int64_t M, int64_t lda, int64_t cols, float* T, int64_t ldt, bool avx2) {
  const int64_t tasks = (cols + kColsPerTask - 1) / kColsPerTask;
#pragma omp parallel for schedule(static) if (M * cols >= kParallelWork)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t c0 = t * kColsPerTask, c1 = std::min(cols, c0 + kColsPerTask);
    if (avx2) {
      detail::transpose_pad_avx2(A, M, lda, c0, c1, T, ldt);
    } else {
      detail::transpose_pad_portable(A, 0, M, lda, c0, c1, T, ldt);
    }
  }
}

// Y[m * ldy + r] = T[r * ldt + m] for r < rows, m < M.
void transpose_out(const float* T, int64_t rows, int64_t ldt, int64_t M, float* Y, int64_t ldy, bool avx2) {
  const int64_t tasks = (M + kColsPerTask - 1) / kColsPerTask;
#pragma omp parallel for schedule(static) if (M * rows >= kParallelWork)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t m0 = t * kColsPerTask, m1 = std::min(M, m0 + kColsPerTask);
    if (avx2) {
      detail::transpose_back_avx2(T, rows, ldt, m0, m1, Y, ldy);
    } else {
      detail::transpose_back_portable(T, rows, ldt, m0, m1, Y, ldy);
    }
  }
}

// out rows 0 .. rows of the sparse-times-transposed product, rows split over threads.
void spmm(const int32_t* ptr, const int32_t* idx, const float* val, int64_t rows, const float* in, int64_t ld,
          float* out, bool avx2) {
  const int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
#pragma omp parallel for schedule(static) if (int64_t{ptr[rows]} * ld >= kParallelWork)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t i0 = t * kRowsPerTask, i1 = std::min(rows, i0 + kRowsPerTask);
    if (avx2) {
      detail::spmm_rows_avx2(ptr, idx, val, in, ld, ld, i0, i1, out);
    } else {
      detail::spmm_rows_portable(ptr, idx, val, in, ld, ld, i0, i1, out);
    }
  }
}

}  // namespace

void csr_forward(const float* X, int64_t M, int64_t ldx, const CsrPlan& P, const float* values, float* Y, int64_t ldy) {
  const bool avx2 = active_isa() != Isa::Portable;
  const int64_t ld = padded(M);
  std::vector<float> xt(static_cast<size_t>(P.cols * ld)), yt(static_cast<size_t>(P.rows * ld));
  transpose_in(X, M, ldx, P.cols, xt.data(), ld, avx2);
  spmm(P.row_ptr.data(), P.col_idx.data(), values, P.rows, xt.data(), ld, yt.data(), avx2);
  transpose_out(yt.data(), P.rows, ld, M, Y, ldy, avx2);
}

void csr_backward_input(const float* dY, int64_t M, int64_t lddy, const CsrPlan& P, const float* values, float* dX,
                        int64_t lddx) {
  const bool avx2 = active_isa() != Isa::Portable;
  const int64_t ld = padded(M);
  std::vector<float> dyt(static_cast<size_t>(P.rows * ld)), dxt(static_cast<size_t>(P.cols * ld));
  std::vector<float> by_col(static_cast<size_t>(P.kept()));  // the values in column order
  for (int64_t e = 0; e < P.kept(); ++e) by_col[static_cast<size_t>(e)] = values[P.col_pos[static_cast<size_t>(e)]];
  transpose_in(dY, M, lddy, P.rows, dyt.data(), ld, avx2);
  spmm(P.col_ptr.data(), P.col_row.data(), by_col.data(), P.cols, dyt.data(), ld, dxt.data(), avx2);
  transpose_out(dxt.data(), P.cols, ld, M, dX, lddx, avx2);
}

void csr_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx, const CsrPlan& P,
                         float* dW) {
  const bool avx2 = active_isa() != Isa::Portable;
  const int64_t ld = padded(M);
  std::vector<float> xt(static_cast<size_t>(P.cols * ld)), dyt(static_cast<size_t>(P.rows * ld));
  transpose_in(X, M, ldx, P.cols, xt.data(), ld, avx2);
  transpose_in(dY, M, lddy, P.rows, dyt.data(), ld, avx2);
  const int64_t tasks = (P.rows + kRowsPerTask - 1) / kRowsPerTask;
#pragma omp parallel for schedule(static) if (P.kept() * ld >= kParallelWork)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t i0 = t * kRowsPerTask, i1 = std::min(P.rows, i0 + kRowsPerTask);
    if (avx2) {
      detail::sddmm_rows_avx2(P.row_ptr.data(), P.col_idx.data(), dyt.data(), xt.data(), ld, ld, i0, i1, dW);
    } else {
      detail::sddmm_rows_portable(P.row_ptr.data(), P.col_idx.data(), dyt.data(), xt.data(), ld, ld, i0, i1, dW);
    }
  }
}

}  // namespace bitblock::kernels
