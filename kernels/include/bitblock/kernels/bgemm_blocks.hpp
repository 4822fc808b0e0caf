#pragma once
// Binary weights on the kept blocks of a layout (bsr.hpp), multiplied by sign inputs with the
// binary GEMM (bgemm.hpp): the products of a binary-weight layer fed by sign activations, in
// training (float +-1 inputs) and in integer inference (int16 codes +-1).
//
// Dropped weights are a mask on the packed weight rows, so inputs are packed once, at full width,
// and nothing is gathered: mismatches = popcount((x xor w) and mask), dot = kept - 2 mismatches.
// Inputs may hold 0 as well as +-1 (a convolution's zero padding): rows with a 0 also carry a
// nonzero mask, which joins the weight mask (their kept count is popcount(mask and nonzero)).
// Any other input value gives a wrong result: the caller guarantees the inputs (sign activations,
// max-pooled or flattened, zero-padded). AVX-512 (VPOPCNTDQ + ternary logic), or the portable
// loop (built with the popcount instruction where AVX2 is active), by active_isa().
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels {

struct BinaryBlocks {
  BsrLayout layout;
  int64_t words = 0;  // sign_words(layout.cols)
  // Weight rows in groups of 8 (rows past the matrix are zero), word-interleaved: word w of row
  // 8g + l at (g * words + w) * 8 + l. signs: bit 1 = +1 (weight >= 0); mask: the row's kept
  // positions (in-matrix columns of its kept blocks); signs are 0 outside the mask.
  std::vector<uint64_t> signs, mask;
  std::vector<int64_t> kept;  // per row: positions in its mask (0 past the matrix, to whole groups)
  // Per group g: the words active[active_ptr[g] .. active_ptr[g+1]) where any of its rows keeps a
  // position; the others are skipped.
  std::vector<int64_t> active_ptr;
  std::vector<int32_t> active;
  std::vector<float> row_scales;  // rows: w[n][k] = sign * row_scales[n] inside kept blocks
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
