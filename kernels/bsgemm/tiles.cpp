// Host builder of the tensor-core operand streams (bsr_tiles.hpp) from BsrWeights: the upload
// path of model-file weights to the tensor-core kernels, and the reference the device quantizer
// is tested against.
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"

namespace bitblock::kernels {

BsrTiles bsr_tiles(const BsrWeights& w) {
  const BsrLayout& l = w.layout;
  if (!tc_blocks_supported(l.block_rows, l.block_cols)) {
    fail_input("bsr_tiles", "block " + std::to_string(l.block_rows) + "x" + std::to_string(l.block_cols) +
                                " is not a multiple of 8 (at most 256) on each side");
  }
  BsrTiles t;
  t.tiles_r = l.block_rows / kTile;
  t.tiles_c = l.block_cols / kTile;
  t.bits = w.bits;
  const int64_t tiles = l.kept_blocks() * t.tiles_r * t.tiles_c;
  const int64_t bytes = static_cast<int64_t>(w.packed.size());
  // Stored codes, ragged positions included (their bits are zero in the BSR stream as here).
  auto code_of = [&](int64_t tile, int r, int c) {
    const int64_t b = tile / (t.tiles_r * t.tiles_c);
    const int in_block = static_cast<int>(tile % (t.tiles_r * t.tiles_c));
    const int row = in_block / t.tiles_c * kTile + r, col = in_block % t.tiles_c * kTile + c;
    return code_at(w.packed.data(), bytes, (b * l.block_rows + row) * l.block_cols + col, w.bits);
  };
  const int64_t words = tile_stream_words(tiles, w.bits);
  t.fwd.resize(static_cast<size_t>(words));
  t.bwd.resize(static_cast<size_t>(words));
  for (int64_t i = 0; i < words; ++i) {
    t.fwd[static_cast<size_t>(i)] = tile_stream_word(i, tiles, w.bits, false, code_of);
    t.bwd[static_cast<size_t>(i)] = tile_stream_word(i, tiles, w.bits, true, code_of);
  }
  return t;
}

}  // namespace bitblock::kernels
