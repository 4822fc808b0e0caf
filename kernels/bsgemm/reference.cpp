// Plain reference loops for the block-sparse products, reading codes straight from the packed
// stream. Slow on purpose: the oracle every optimized kernel is tested against.
#include <cstring>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels::reference {

void bsgemm_int(const int16_t* X, int64_t M, int64_t ldx, const BsrWeights& W, int32_t* Y, int64_t ldy) {
  const BsrLayout& l = W.layout;
  for (int64_t m = 0; m < M; ++m) std::memset(Y + m * ldy, 0, static_cast<size_t>(l.rows) * sizeof(int32_t));
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      bsr_decode_block(W, b, block.data());
      for (int r = 0; r < l.rows_in_block_row(i); ++r) {
        const int64_t n = i * l.block_rows + r;
        for (int c = 0; c < l.cols_in_block_col(j); ++c) {
          const int64_t k = j * l.block_cols + c;
          const int32_t code = block[static_cast<size_t>(r) * l.block_cols + c];
          for (int64_t m = 0; m < M; ++m) Y[m * ldy + n] += static_cast<int32_t>(X[m * ldx + k]) * code;
        }
      }
    }
  }
}

}  // namespace bitblock::kernels::reference
