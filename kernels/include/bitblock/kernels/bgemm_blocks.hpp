#pragma once
// Binary weights on the kept blocks of a layout (bsr.hpp), multiplied by sign inputs with the
// binary GEMM (bgemm.hpp): the products of a binary-weight layer fed by sign activations, in
// training (float +-1 inputs) and in integer inference (int16 codes +-1).
//
// Inputs may hold 0 as well as +-1 (a convolution's zero padding): X is packed twice, once with
// 0 as +1 and once with 0 as -1, and the exact dot product is the mean of the two binary products
// (a 0 adds +w to one and -w to the other). Rows of X without a 0 are packed identically, so the
// second product is skipped when no row has one. Any other input value gives a wrong result: the
// caller guarantees the inputs (sign activations, max-pooled or flattened, zero-padded).
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels {

struct BinaryBlocks {
  BsrLayout layout;
  // Per block-row i: K_i = in-matrix columns of its kept blocks (in block order), and the first
  // word of its rows_in_block_row(i) rows of sign_words(K_i) words in `signs`.
  std::vector<int64_t> kept_cols, offset;
  std::vector<uint64_t> signs;    // bit 1 = +1 (weight >= 0), bit 0 = -1; padding bits 0
  std::vector<float> row_scales;  // rows: w[n][k] = sign * row_scales[n] inside kept blocks
  bool full = false;              // every block-row keeps every block-column (no gather of X)
};

// Sized for a layout, signs and scales to be set.
BinaryBlocks binary_blocks(const BsrLayout& layout);
// Signs and scales from dense weights W (rows x cols, row-major, +-s[n] at kept positions):
// s[n] = |W[n][k]| at the row's first kept position (0 for a row without one).
void binary_blocks_set_dense(BinaryBlocks& w, const float* W);
// The same from the kept blocks' values [kept, block_rows, block_cols] in layout order.
void binary_blocks_set_kept(BinaryBlocks& w, const float* blocks);
// From packed 1-bit weights (codes +-1, w.row_scales as they are). InputError unless bits == 1.
BinaryBlocks binary_blocks_from_bsr(const BsrWeights& w);

// Y[m][n] = row_scales[n] * sum over kept k of X[m][k] * sign(W[n][k]) (the integer sum first,
// exact, then one float multiply). Y overwritten; rows of empty block-rows are 0.
void bgemm_sign_input(const float* X, int64_t M, int64_t ldx, const BinaryBlocks& W, float* Y, int64_t ldy);
// Integer inference: Y[m][n] = sum over kept k of X[m][k] * code(W[n][k]), scales not applied:
// bit for bit what bsgemm_int gives on the same +-1 weights.
void bgemm_sign_input_int(const int16_t* X, int64_t M, int64_t ldx, const BinaryBlocks& W, int32_t* Y,
                          int64_t ldy);

}  // namespace bitblock::kernels
