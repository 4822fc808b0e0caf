// Portable SDDMM: plain loops, one running sum per output in increasing m.
#include "bsgemm/sddmm.hpp"

namespace bitblock::kernels::detail {

void sddmm_row_portable(const float* dY, int64_t lddy, const float* X, int64_t ldx, int64_t rows,
                        const BsrLayout& layout, int64_t i, float* dW) {
  const int nr = layout.rows_in_block_row(i), bc = layout.block_cols;
  const int64_t be = layout.block_elems();
  for (int32_t b = layout.block_row_ptr[i]; b < layout.block_row_ptr[i + 1]; ++b) {
    const int64_t j = layout.block_col_idx[b];
    const int nc = layout.cols_in_block_col(j);
    for (int r = 0; r < nr; ++r) {
      float* out = dW + b * be + static_cast<int64_t>(r) * bc;
      for (int c = 0; c < nc; ++c) {
        float s = out[c];
        const float* dy = dY + i * layout.block_rows + r;
        const float* x = X + j * bc + c;
        for (int64_t m = 0; m < rows; ++m) s += dy[m * lddy] * x[m * ldx];
        out[c] = s;
      }
    }
  }
}

}  // namespace bitblock::kernels::detail
