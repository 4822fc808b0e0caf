#include "bitblock/kernels/bsr.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/kernels/codes.hpp"

namespace bitblock::kernels {

int BsrLayout::rows_in_block_row(int64_t i) const {
  return static_cast<int>(std::min<int64_t>(block_rows, rows - i * block_rows));
}

int BsrLayout::cols_in_block_col(int64_t j) const {
  return static_cast<int>(std::min<int64_t>(block_cols, cols - j * block_cols));
}

namespace {
void check_shape(int64_t rows, int64_t cols, int block_rows, int block_cols, const char* where) {
  if (rows < 1 || cols < 1) {
    fail_input(where, "matrix " + std::to_string(rows) + "x" + std::to_string(cols) + " is empty");
  }
  if (block_rows < 1 || block_cols < 1) {
    fail_input(where, "block " + std::to_string(block_rows) + "x" + std::to_string(block_cols) + " is empty");
  }
}

// Dense codes -> block-ordered codes (full block size, all-zero bits at ragged positions) ->
// packed stream.
void pack_into(const int8_t* codes, const BsrLayout& l, int bits, std::vector<uint8_t>& packed) {
  const int64_t kept = l.kept_blocks();
  const int64_t be = l.block_elems();
  // Ragged positions keep the code whose stored bits are all zero (binary: -1 is bit 0).
  std::vector<int8_t> ordered(static_cast<size_t>(kept * be), static_cast<int8_t>(bits == 1 ? -1 : 0));
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      const int nc = l.cols_in_block_col(j);
      for (int r = 0; r < l.block_rows; ++r) {
        for (int c = 0; c < l.block_cols; ++c) {
          const int64_t e = b * be + static_cast<int64_t>(r) * l.block_cols + c;
          if (r < nr && c < nc) ordered[e] = codes[(i * l.block_rows + r) * l.cols + j * l.block_cols + c];
        }
      }
    }
  }
  packed.assign(static_cast<size_t>(packed_code_bytes(kept * be, bits)), 0);
  pack_codes(ordered.data(), kept * be, bits, packed.data(), "bsr_pack codes");
}
}  // namespace

BsrLayout bsr_layout_from_mask(const uint8_t* mask, int64_t rows, int64_t cols, int block_rows, int block_cols) {
  check_shape(rows, cols, block_rows, block_cols, "bsr_layout_from_mask");
  BsrLayout l;
  l.rows = rows;
  l.cols = cols;
  l.block_rows = block_rows;
  l.block_cols = block_cols;
  const int64_t nbr = l.num_block_rows(), nbc = l.num_block_cols();
  l.block_row_ptr.assign(static_cast<size_t>(nbr + 1), 0);
  for (int64_t i = 0; i < nbr; ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int64_t j = 0; j < nbc; ++j) {
      const int nc = l.cols_in_block_col(j);
      bool any = false;
      for (int r = 0; r < nr && !any; ++r) {
        const uint8_t* row = mask + (i * block_rows + r) * cols + j * block_cols;
        for (int c = 0; c < nc; ++c) {
          if (row[c]) {
            any = true;
            break;
          }
        }
      }
      if (any) l.block_col_idx.push_back(static_cast<int32_t>(j));
    }
    l.block_row_ptr[i + 1] = static_cast<int32_t>(l.block_col_idx.size());
  }
  return l;
}

void bsr_validate(const BsrWeights& w, const char* where) {
  const BsrLayout& l = w.layout;
  check_shape(l.rows, l.cols, l.block_rows, l.block_cols, where);
  if (!valid_code_bits(w.bits)) fail_input(where, "unsupported code width " + std::to_string(w.bits));
  const int64_t nbr = l.num_block_rows(), nbc = l.num_block_cols();
  if (l.block_row_ptr.empty() || static_cast<int64_t>(l.block_row_ptr.size()) - 1 != nbr) {
    fail_input(where, "block_row_ptr has " + std::to_string(l.block_row_ptr.size()) + " entries, expected " +
                          std::to_string(nbr) + " + 1");
  }
  if (l.block_row_ptr[0] != 0 || l.block_row_ptr[nbr] != l.kept_blocks()) {
    fail_input(where, "block_row_ptr does not span the block_col_idx array");
  }
  for (int64_t i = 0; i < nbr; ++i) {
    if (l.block_row_ptr[i + 1] < l.block_row_ptr[i]) fail_input(where, "block_row_ptr decreases");
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      if (l.block_col_idx[b] < 0 || l.block_col_idx[b] >= nbc) {
        fail_input(where, "block column index " + std::to_string(l.block_col_idx[b]) + " out of range");
      }
      if (b > l.block_row_ptr[i] && l.block_col_idx[b] <= l.block_col_idx[b - 1]) {
        fail_input(where, "block column indices not strictly increasing in block-row " + std::to_string(i));
      }
    }
  }
  const std::string w_str = where;
  const int64_t code_bits = checked_product({l.kept_blocks(), l.block_elems(), w.bits}, w_str, "packed code stream");
  const int64_t bytes = code_bits / 8 + (code_bits % 8 != 0);
  if (static_cast<int64_t>(w.packed.size()) != bytes) {
    fail_input(where, "packed codes have " + std::to_string(w.packed.size()) + " bytes, expected " +
                          std::to_string(bytes));
  }
  if (static_cast<int64_t>(w.row_scales.size()) != l.rows) {
    fail_input(where, "row_scales has " + std::to_string(w.row_scales.size()) + " entries, expected " +
                          std::to_string(l.rows));
  }
}

BsrWeights bsr_pack_layout(const int8_t* codes, const BsrLayout& layout, int bits, const float* row_scales) {
  check_shape(layout.rows, layout.cols, layout.block_rows, layout.block_cols, "bsr_pack");
  if (!valid_code_bits(bits)) fail_input("bsr_pack", "unsupported code width " + std::to_string(bits));
  BsrWeights w;
  w.layout = layout;
  w.bits = bits;
  w.row_scales.assign(static_cast<size_t>(layout.rows), 1.0f);
  if (row_scales) std::copy(row_scales, row_scales + layout.rows, w.row_scales.begin());
  pack_into(codes, w.layout, bits, w.packed);
  return w;
}

BsrWeights bsr_pack(const int8_t* codes, const uint8_t* mask, int64_t rows, int64_t cols, int block_rows,
                    int block_cols, int bits, const float* row_scales) {
  return bsr_pack_layout(codes, bsr_layout_from_mask(mask, rows, cols, block_rows, block_cols), bits, row_scales);
}

void bsr_refresh(BsrWeights& w, const int8_t* codes, const float* row_scales) {
  pack_into(codes, w.layout, w.bits, w.packed);
  if (row_scales) std::copy(row_scales, row_scales + w.layout.rows, w.row_scales.begin());
}

void bsr_decode_block(const BsrWeights& w, int64_t b, int8_t* block_codes) {
  const BsrLayout& l = w.layout;
  const int64_t be = l.block_elems();
  unpack_codes(w.packed.data(), static_cast<int64_t>(w.packed.size()), b * be, be, w.bits, block_codes);
  // Find b's block-row for its ragged extent (binary ragged bits decode as -1: clear them).
  const auto it = std::upper_bound(l.block_row_ptr.begin(), l.block_row_ptr.end(), static_cast<int32_t>(b));
  const int64_t i = (it - l.block_row_ptr.begin()) - 1;
  const int nr = l.rows_in_block_row(i);
  const int nc = l.cols_in_block_col(l.block_col_idx[b]);
  if (nr == l.block_rows && nc == l.block_cols) return;
  for (int r = 0; r < l.block_rows; ++r) {
    for (int c = 0; c < l.block_cols; ++c) {
      if (r >= nr || c >= nc) block_codes[r * l.block_cols + c] = 0;
    }
  }
}

void bsr_unpack_codes(const BsrWeights& w, int8_t* dense_codes) {
  const BsrLayout& l = w.layout;
  std::memset(dense_codes, 0, static_cast<size_t>(l.rows * l.cols));
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int64_t j = l.block_col_idx[b];
      const int nc = l.cols_in_block_col(j);
      bsr_decode_block(w, b, block.data());
      for (int r = 0; r < nr; ++r) {
        std::memcpy(dense_codes + (i * l.block_rows + r) * l.cols + j * l.block_cols,
                    block.data() + static_cast<int64_t>(r) * l.block_cols, static_cast<size_t>(nc));
      }
    }
  }
}

}  // namespace bitblock::kernels
