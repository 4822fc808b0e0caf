// Plain reference loops for the CSR training products: the oracle for the optimized versions.
#include "bitblock/kernels/csr.hpp"

namespace bitblock::kernels::reference {

void csr_forward(const float* X, int64_t M, int64_t ldx, const CsrPlan& P, const float* values, float* Y,
                 int64_t ldy) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < P.rows; ++n) {
      float s = 0.0f;
      for (int32_t e = P.row_ptr[n]; e < P.row_ptr[n + 1]; ++e) s += values[e] * X[m * ldx + P.col_idx[e]];
      Y[m * ldy + n] = s;
    }
  }
}

void csr_backward_input(const float* dY, int64_t M, int64_t lddy, const CsrPlan& P, const float* values, float* dX,
                        int64_t lddx) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < P.cols; ++k) dX[m * lddx + k] = 0.0f;
    for (int64_t n = 0; n < P.rows; ++n)
      for (int32_t e = P.row_ptr[n]; e < P.row_ptr[n + 1]; ++e) dX[m * lddx + P.col_idx[e]] += dY[m * lddy + n] * values[e];
  }
}

void csr_backward_weight(const float* dY, int64_t M, int64_t lddy, const float* X, int64_t ldx, const CsrPlan& P,
                         float* dW) {
  for (int64_t n = 0; n < P.rows; ++n) {
    for (int32_t e = P.row_ptr[n]; e < P.row_ptr[n + 1]; ++e) {
      float s = 0.0f;
      for (int64_t m = 0; m < M; ++m) s += dY[m * lddy + n] * X[m * ldx + P.col_idx[e]];
      dW[e] = s;
    }
  }
}

}  // namespace bitblock::kernels::reference
