#pragma once
// The tensor-core operand format of block-sparse k-bit weights (BsrWeights, bsr.hpp), and the
// index math the tensor-core kernels share with their CPU tests.
//
// Format, for block sizes that are multiples of 8 (tc_blocks_supported):
//  * Every kept block b (CSR order, as in BsrLayout) is cut into tiles_r x tiles_c tiles of 8 x 8
//    weights (tiles_r = block_rows / 8, tiles_c = block_cols / 8). Tile (b, tr, tc) is tile number
//    tile_index(b, tr, tc) = (b * tiles_r + tr) * tiles_c + tc and holds the weights of rows
//    tr*8 .. tr*8+7 and columns tc*8 .. tc*8+7 of the block.
//  * fwd: one code stream (codes.hpp order, `bits` per code) of all tiles, tile T starting at
//    stream bit T * 64 * bits (so at word T * 2 * bits), its 64 codes row-major (code r * 8 + c
//    is weight (r, c) of the tile). For 8 x 8 blocks this is the BSR packed stream itself.
//  * bwd: the same tiles with their codes column-major (code c * 8 + r is weight (r, c)).
//  * Both streams are uint32 words followed by one zero word (a lane's pair field may run one
//    word past its tile). Ragged-edge positions hold all-zero bits, as in the BSR stream.
// Why: in mma.m16n8k16 the B operand (16 x 8, K x N) is held by lane L as B[2t, 2t+1][g] and
// B[8+2t, 8+2t+1][g] (g = L/4, t = L%4, mma_fragments.hpp). With one 8 x 8 tile per half of K,
// lane L needs codes 2L and 2L+1 of each tile: in the forward product (B[k][n] = W[n][k]) those
// are row-major neighbours, in the input gradient (B[k][n] = W[k][n]) column-major neighbours.
// Either way one pair field per tile and lane, read straight from the packed codes
// (code_pair_field): fewer bits mean fewer bytes moved.
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"
#include "bitblock/kernels/kbit.hpp"

namespace bitblock::kernels {

constexpr int kTile = 8;

// Block sizes the tensor-core kernels take: multiples of 8 up to 256 on each side.
BITBLOCK_HD bool tc_blocks_supported(int block_rows, int block_cols) {
  return block_rows % kTile == 0 && block_cols % kTile == 0 && block_rows >= kTile && block_cols >= kTile &&
         block_rows <= 256 && block_cols <= 256;
}

BITBLOCK_HD int64_t tile_index(int64_t block, int tr, int tc, int tiles_r, int tiles_c) {
  return (block * tiles_r + tr) * tiles_c + tc;
}
// Tile of kept block b holding output tile o and reduction tile t of a product: the forward
// product reduces over the block's columns (o = row tile, t = column tile), the input gradient
// over its rows (o = column tile, t = row tile) and reads the transposed stream.
BITBLOCK_HD int64_t product_tile(int64_t block, int o, int t, int tiles_r, int tiles_c, bool transposed) {
  return transposed ? tile_index(block, t, o, tiles_r, tiles_c) : tile_index(block, o, t, tiles_r, tiles_c);
}
// Position of weight (r, c) of a tile in its 64 codes.
BITBLOCK_HD int tile_code(int r, int c, bool transposed) { return transposed ? c * kTile + r : r * kTile + c; }
// 32-bit words per tile.
BITBLOCK_HD int64_t tile_words(int bits) { return 2 * bits; }
// Words of a stream of `tiles` tiles, padding word included.
BITBLOCK_HD int64_t tile_stream_words(int64_t tiles, int bits) { return tiles * tile_words(bits) + 1; }
// Lane `lane`'s B operand field of tile `tile`: codes 2 lane and 2 lane + 1 of the tile.
BITBLOCK_HD uint32_t tile_lane_field(const uint32_t* stream, int64_t tile, int lane, int bits) {
  return code_pair_field(stream + tile * tile_words(bits), 2 * lane, bits);
}
// tile_lane_field unrolled for a kernel that reads many tiles with one lane: where the lane's
// pair field lies in every tile (word offset from the tile's first word, bit shift, whether it
// runs into the next word), computed once, then one or two loads and a funnel shift per tile.
struct LaneField {
  int word, shift;
  bool two_words;
  uint32_t mask;
};
BITBLOCK_HD LaneField lane_field(int lane, int bits) {
  const int bit = 2 * lane * bits;
  return {bit >> 5, bit & 31, (bit & 31) + 2 * bits > 32, (1u << (2 * bits)) - 1u};
}
// The lane's field of the tile whose first word is tile_words_at.
BITBLOCK_HD uint32_t read_lane_field(const uint32_t* tile_words_at, const LaneField& f) {
#if defined(__CUDA_ARCH__)
  const uint32_t lo = __ldg(tile_words_at + f.word);
  const uint32_t hi = f.two_words ? __ldg(tile_words_at + f.word + 1) : 0u;
  return __funnelshift_r(lo, hi, f.shift) & f.mask;
#else
  const uint64_t lo = tile_words_at[f.word];
  const uint64_t hi = f.two_words ? tile_words_at[f.word + 1] : 0u;
  return static_cast<uint32_t>((lo | (hi << 32)) >> f.shift) & f.mask;
#endif
}
// First word of product_tile(block, o, t) = block * per_block + o * per_out + t * per_in (32-bit:
// the kernels check that the streams have fewer than 2^31 words).
struct ProductTileWords {
  int per_block, per_out, per_in;
};
BITBLOCK_HD ProductTileWords product_tile_words(int tiles_r, int tiles_c, int bits, bool transposed) {
  const int w = 2 * bits;
  return transposed ? ProductTileWords{tiles_r * tiles_c * w, w, tiles_c * w}
                    : ProductTileWords{tiles_r * tiles_c * w, tiles_c * w, w};
}

// Word `w` of a tile stream of `tiles` tiles, from code_of(tile, r, c) -> code value (the device
// quantizer and the host builder both assemble words with it; the padding word is 0).
template <typename CodeOf>
BITBLOCK_HD uint32_t tile_stream_word(int64_t w, int64_t tiles, int bits, bool transposed, CodeOf code_of) {
  return packed_stream_word(w, tiles * kTile * kTile, bits, [&](int64_t e) {
    const int in_tile = static_cast<int>(e % (kTile * kTile));
    const int r = transposed ? in_tile % kTile : in_tile / kTile;
    const int c = transposed ? in_tile / kTile : in_tile % kTile;
    return code_of(e / (kTile * kTile), r, c);
  });
}

// Host copy of the two streams of W. Throws InputError unless tc_blocks_supported.
struct BsrTiles {
  int tiles_r = 1, tiles_c = 1, bits = 1;
  std::vector<uint32_t> fwd, bwd;
};
BsrTiles bsr_tiles(const BsrWeights& w);

}  // namespace bitblock::kernels
