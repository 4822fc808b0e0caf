#pragma once
// Block-sparse weights with k-bit packed codes (BSR-like): the layout written to model files,
// replayed by hwsim and multiplied by the integer and float kernels.
//
// Format (stable: model files store these arrays verbatim):
//  * W has rows = N outputs and cols = K inputs (row-major, like a Linear layer's weight). It is
//    cut into block_rows x block_cols tiles: nbr = ceil(rows / block_rows) block-rows and
//    nbc = ceil(cols / block_cols) block-columns. The last block-row / block-column is ragged
//    when the size is not a multiple of the block size; ragged blocks are still stored at the
//    full block size (see below).
//  * block_row_ptr[nbr + 1] and block_col_idx[kept]: CSR over block-rows. Kept blocks of
//    block-row i are block_col_idx[block_row_ptr[i] .. block_row_ptr[i+1]), strictly increasing.
//    Block-rows may be empty.
//  * packed: one code stream (codes.hpp: LSB-first, `bits` per code, two's complement; binary
//    bit 1 = +1, bit 0 = -1). Kept blocks follow each other in CSR order, each stored in full
//    block_rows * block_cols positions, row-major inside the block: element (r, c) of kept block
//    b is code number (b * block_rows + r) * block_cols + c. Positions outside the matrix (the
//    ragged edge) hold all-zero bits and must be ignored by readers (bsr_decode_block returns 0
//    for them). packed.size() == packed_code_bytes(kept * block_rows * block_cols, bits).
//  * Inside a kept block every in-matrix element's code is stored as given (a zero code stays
//    0; binary cannot hold 0, so binary kept blocks must be all +-1).
//  * row_scales[rows]: dequantized weight w[n][k] = code[n][k] * row_scales[n].
#include <cstdint>
#include <vector>

namespace bitblock::kernels {

struct BsrLayout {
  int64_t rows = 0, cols = 0;
  int block_rows = 1, block_cols = 1;
  std::vector<int32_t> block_row_ptr;  // num_block_rows() + 1
  std::vector<int32_t> block_col_idx;  // kept_blocks()

  // Rounded up without forming rows + block_rows - 1 (which can overflow for sizes from a file).
  int64_t num_block_rows() const { return rows / block_rows + (rows % block_rows != 0); }
  int64_t num_block_cols() const { return cols / block_cols + (cols % block_cols != 0); }
  int64_t kept_blocks() const { return static_cast<int64_t>(block_col_idx.size()); }
  int64_t block_elems() const { return static_cast<int64_t>(block_rows) * block_cols; }
  // In-matrix height of block-row i / width of block-column j (smaller for the ragged edge).
  int rows_in_block_row(int64_t i) const;
  int cols_in_block_col(int64_t j) const;
};

struct BsrWeights {
  BsrLayout layout;
  int bits = 1;                 // 1..8
  std::vector<uint8_t> packed;  // see the format above
  std::vector<float> row_scales;  // rows
};

// Kept blocks of a dense mask (rows x cols, nonzero = kept): a block is kept when any of its
// elements is. Throws InputError for sizes < 1 or block sizes < 1.
BsrLayout bsr_layout_from_mask(const uint8_t* mask, int64_t rows, int64_t cols, int block_rows, int block_cols);
// Throws InputError naming `where` when the layout's arrays are inconsistent (model file input).
void bsr_validate(const BsrWeights& w, const char* where);

// Packs dense codes (rows x cols, row-major) of the blocks the mask keeps. row_scales may be
// null (all 1). Codes out of range for `bits` inside kept blocks throw InputError.
BsrWeights bsr_pack(const int8_t* codes, const uint8_t* mask, int64_t rows, int64_t cols, int block_rows,
                    int block_cols, int bits, const float* row_scales);
// Same with a ready layout (training re-packs every step while the mask is unchanged).
BsrWeights bsr_pack_layout(const int8_t* codes, const BsrLayout& layout, int bits, const float* row_scales);
// Fast path for training: overwrite packed codes and scales in place from new dense codes,
// keeping layout and bits. row_scales may be null (scales left as they are).
void bsr_refresh(BsrWeights& w, const int8_t* codes, const float* row_scales);

// Dense codes (rows x cols), 0 outside kept blocks.
void bsr_unpack_codes(const BsrWeights& w, int8_t* dense_codes);
// Codes of kept block b as block_rows x block_cols row-major, 0 at ragged-edge positions.
void bsr_decode_block(const BsrWeights& w, int64_t b, int8_t* block_codes);

// Integer product for integer-only inference: Y[M x N] = X[M x K] * codes^T exactly (binary
// codes are +-1, scales NOT applied). X row m starts at X + m * ldx, Y row m at Y + m * ldy;
// Y is overwritten (rows of empty block-rows become 0). Uses OpenMP threads over block-rows.
// Dispatches on active_isa() (AVX2 or portable).
void bsgemm_int(const int16_t* X, int64_t M, int64_t ldx, const BsrWeights& W, int32_t* Y, int64_t ldy);

namespace reference {
// Plain loops straight from the packed stream: the oracle for the optimized versions.
void bsgemm_int(const int16_t* X, int64_t M, int64_t ldx, const BsrWeights& W, int32_t* Y, int64_t ldy);
}  // namespace reference

}  // namespace bitblock::kernels
