#pragma once
// A block layout (bsr.hpp's BsrLayout: CSR over block-rows of kept blocks) as plain pointers, so
// the same kernels read it from host vectors or from device memory.
#include <cstdint>

#include "bitblock/common/host_device.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels {

struct BlockLayoutView {
  int64_t rows = 0, cols = 0;
  int block_rows = 1, block_cols = 1;
  int64_t num_block_rows = 0;
  int64_t kept_blocks = 0;
  const int32_t* block_row_ptr = nullptr;  // num_block_rows + 1
  const int32_t* block_col_idx = nullptr;  // kept_blocks
  const int32_t* block_row_of = nullptr;   // kept_blocks: block-row of each kept block (device kernels)

  BITBLOCK_HD int rows_in_block_row(int64_t i) const {
    const int64_t left = rows - i * block_rows;
    return static_cast<int>(left < block_rows ? left : block_rows);
  }
  BITBLOCK_HD int cols_in_block_col(int64_t j) const {
    const int64_t left = cols - j * block_cols;
    return static_cast<int>(left < block_cols ? left : block_cols);
  }
  BITBLOCK_HD int64_t block_elems() const { return static_cast<int64_t>(block_rows) * block_cols; }
};

// The host layout's arrays (block_row_of stays null).
inline BlockLayoutView view_of(const BsrLayout& l) {
  BlockLayoutView v;
  v.rows = l.rows;
  v.cols = l.cols;
  v.block_rows = l.block_rows;
  v.block_cols = l.block_cols;
  v.num_block_rows = l.num_block_rows();
  v.kept_blocks = l.kept_blocks();
  v.block_row_ptr = l.block_row_ptr.data();
  v.block_col_idx = l.block_col_idx.data();
  return v;
}

}  // namespace bitblock::kernels
