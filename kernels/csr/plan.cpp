// CsrPlan: the CSR arrays of a 1 x 1 block layout and their column view.
#include <stdexcept>

#include "bitblock/kernels/csr.hpp"

namespace bitblock::kernels {

CsrPlan csr_plan(const BsrLayout& l) {
  if (l.block_rows != 1 || l.block_cols != 1) throw std::invalid_argument("csr_plan: the layout needs 1 x 1 blocks");
  CsrPlan p;
  p.rows = l.rows;
  p.cols = l.cols;
  p.row_ptr = l.block_row_ptr;
  p.col_idx = l.block_col_idx;
  p.col_ptr.assign(static_cast<size_t>(l.cols + 1), 0);
  for (int32_t k : p.col_idx) ++p.col_ptr[static_cast<size_t>(k) + 1];
  for (int64_t k = 0; k < l.cols; ++k) p.col_ptr[k + 1] += p.col_ptr[k];
  p.col_row.resize(p.col_idx.size());
  p.col_pos.resize(p.col_idx.size());
  std::vector<int32_t> next(p.col_ptr.begin(), p.col_ptr.end() - 1);
  for (int64_t n = 0; n < l.rows; ++n) {
    for (int32_t e = p.row_ptr[n]; e < p.row_ptr[n + 1]; ++e) {
      const int32_t slot = next[static_cast<size_t>(p.col_idx[e])]++;
      p.col_row[slot] = static_cast<int32_t>(n);
      p.col_pos[slot] = e;
    }
  }
  return p;
}

}  // namespace bitblock::kernels
