// Operands of the tensor-core kernels on the CPU: the vectorised code reads and expansions of
// kbit.hpp (every field value of every width), and the tile streams of bsr_tiles.hpp against the
// BSR decoder.
#include <gtest/gtest.h>

#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_tiles.hpp"
#include "bitblock/kernels/codes.hpp"
#include "kernels/kernel_test_data.hpp"
#include "kernels/bf16_emulation.hpp"

namespace bitblock::kernels {
namespace {

// A word stream of n codes of `bits` bits built bit by bit (independent of pack_codes, which
// takes only the widths the model file stores).
std::vector<uint32_t> word_stream(const std::vector<int>& codes, int bits) {
  std::vector<uint32_t> words((codes.size() * bits + 31) / 32 + 1, 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    const uint32_t raw = encode_code(codes[i], bits);
    for (int b = 0; b < bits; ++b) {
      const size_t bit = i * bits + b;
      words[bit / 32] |= ((raw >> b) & 1u) << (bit % 32);
    }
  }
  return words;
}

TEST(TcOperands, EncodeIsTheInverseOfDecode) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (int v = code_min(bits); v <= code_max(bits); ++v) {
      if (bits == 1 && v == 0) continue;
      EXPECT_EQ(decode_code(encode_code(v, bits), bits), v) << bits;
    }
  }
}

TEST(TcOperands, CodePairFieldReadsEveryPairOfEveryWidth) {
  Rng rng(3);
  for (int bits = 1; bits <= 8; ++bits) {
    std::vector<int> codes(301);
    for (auto& c : codes) c = bits == 1 ? (rng.below(2) ? 1 : -1) : code_min(bits) + int(rng.below(1u << bits));
    const auto words = word_stream(codes, bits);
    for (size_t e = 0; e + 1 < codes.size(); ++e) {
      const uint32_t f = code_pair_field(words.data(), static_cast<int64_t>(e), bits);
      ASSERT_EQ(f >> (2 * bits), 0u);
      ASSERT_EQ(decode_code(f & ((1u << bits) - 1u), bits), codes[e]) << bits << " " << e;
      ASSERT_EQ(decode_code(f >> bits, bits), codes[e + 1]) << bits << " " << e;
    }
  }
}

TEST(TcOperands, Bf16PairExpansionGivesBothCodesForEveryField) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (uint32_t f = 0; f < (1u << (2 * bits)); ++f) {
      const uint32_t op = testing::code_pair_operand(f, bits);
      const float lo = static_cast<float>(decode_code(f & ((1u << bits) - 1u), bits));
      const float hi = static_cast<float>(decode_code(f >> bits, bits));
      ASSERT_EQ(testing::bf16_half(op, 0), lo) << bits << " " << f;
      ASSERT_EQ(testing::bf16_half(op, 1), hi) << bits << " " << f;
      // The offset form is exactly bf16 128 + u, and the offset itself is a bf16 integer.
      if (bits < 8) {
        const Bf16PairExpander x(bits);
        EXPECT_EQ(testing::bf16_half(x.expand(f), 0) - float(x.offset), lo);
        EXPECT_EQ(testing::bf16_round(float(x.offset)), float(x.offset));
      }
    }
  }
}

TEST(TcOperands, BinaryNibbleToInt8Lanes) {
  for (uint32_t n = 0; n < 16; ++n) {
    const uint32_t w = binary_codes_s8x4(n);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(static_cast<int8_t>(w >> (8 * i)), ((n >> i) & 1u) ? 1 : -1) << n;
  }
  EXPECT_EQ(binary_codes_s8x4(0xF5u), binary_codes_s8x4(0x5u));  // bits above the nibble ignored
}

TEST(TcOperands, TileStreamsHoldEveryBlockInBothOrders) {
  Rng rng(5);
  struct Case {
    int64_t rows, cols;
    int br, bc, bits, ratio;
  };
  const Case cases[] = {{8, 8, 8, 8, 3, 1},      {37, 70, 8, 8, 1, 2},  {64, 96, 16, 8, 2, 2},
                        {40, 130, 8, 16, 4, 3},  {100, 90, 24, 40, 8, 1}, {64, 64, 64, 64, 3, 1},
                        {129, 257, 32, 16, 2, 4}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.rows << "x" << c.cols << " block " << c.br << "x" << c.bc << " bits " << c.bits);
    const auto codes = testing::random_codes(c.rows * c.cols, c.bits, rng);
    const auto mask = testing::random_block_mask(c.rows, c.cols, c.br, c.bc, c.ratio, rng);
    const BsrWeights w = bsr_pack(codes.data(), mask.data(), c.rows, c.cols, c.br, c.bc, c.bits, nullptr);
    const BsrTiles t = bsr_tiles(w);
    ASSERT_EQ(t.tiles_r, c.br / 8);
    ASSERT_EQ(t.tiles_c, c.bc / 8);
    const int64_t tiles = w.layout.kept_blocks() * t.tiles_r * t.tiles_c;
    ASSERT_EQ(static_cast<int64_t>(t.fwd.size()), tile_stream_words(tiles, c.bits));
    EXPECT_EQ(t.fwd.back(), 0u);
    EXPECT_EQ(t.bwd.back(), 0u);
    std::vector<int8_t> block(static_cast<size_t>(w.layout.block_elems()));
    for (int64_t b = 0; b < w.layout.kept_blocks(); ++b) {
      bsr_decode_block(w, b, block.data());
      for (int r = 0; r < c.br; ++r) {
        for (int col = 0; col < c.bc; ++col) {
          const int64_t tile = tile_index(b, r / 8, col / 8, t.tiles_r, t.tiles_c);
          const int fwd = code_at(reinterpret_cast<const uint8_t*>(t.fwd.data()), int64_t(t.fwd.size()) * 4,
                                  tile * 64 + tile_code(r % 8, col % 8, false), c.bits);
          const int bwd = code_at(reinterpret_cast<const uint8_t*>(t.bwd.data()), int64_t(t.bwd.size()) * 4,
                                  tile * 64 + tile_code(r % 8, col % 8, true), c.bits);
          const int want = block[static_cast<size_t>(r * c.bc + col)];
          // Ragged positions: the stored bits are zero (binary reads them as -1, decode gives 0 otherwise).
          const bool ragged = want == 0 && c.bits == 1;
          ASSERT_EQ(fwd, ragged ? -1 : want) << b << " " << r << " " << col;
          ASSERT_EQ(bwd, ragged ? -1 : want) << b << " " << r << " " << col;
        }
      }
    }
    if (c.br == 8 && c.bc == 8) {  // 8 x 8 blocks: the forward stream is the BSR stream
      ASSERT_EQ(std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(t.fwd.data()),
                                     reinterpret_cast<const uint8_t*>(t.fwd.data()) + w.packed.size()),
                w.packed);
    }
  }
}

TEST(TcOperands, TileStreamWordsForEveryWidth) {
  // Widths 5..7 are not yet model-file widths: build the stream from a code function directly.
  Rng rng(9);
  for (int bits = 1; bits <= 8; ++bits) {
    const int64_t tiles = 5;
    std::vector<int> codes(static_cast<size_t>(tiles * 64));
    for (auto& v : codes) v = bits == 1 ? (rng.below(2) ? 1 : -1) : code_min(bits) + int(rng.below(1u << bits));
    auto code_of = [&](int64_t tile, int r, int c) { return codes[static_cast<size_t>(tile * 64 + r * 8 + c)]; };
    for (bool transposed : {false, true}) {
      std::vector<uint32_t> stream(static_cast<size_t>(tile_stream_words(tiles, bits)));
      for (size_t w = 0; w < stream.size(); ++w) stream[w] = tile_stream_word(int64_t(w), tiles, bits, transposed, code_of);
      EXPECT_EQ(stream.back(), 0u);
      for (int64_t tile = 0; tile < tiles; ++tile) {
        for (int lane = 0; lane < 32; ++lane) {
          const uint32_t f = tile_lane_field(stream.data(), tile, lane, bits);
          for (int h = 0; h < 2; ++h) {
            const int pos = 2 * lane + h;  // code position in the tile
            const int r = transposed ? pos % 8 : pos / 8, c = transposed ? pos / 8 : pos % 8;
            ASSERT_EQ(decode_code((f >> (h * bits)) & ((1u << bits) - 1u), bits), code_of(tile, r, c))
                << bits << " " << transposed << " " << tile << " " << lane;
          }
        }
      }
    }
  }
}

TEST(TcOperands, LaneFieldsAndTileWordsAgreeWithTileLaneField) {
  // The kernels' unrolled reads (lane_field, read_lane_field, product_tile_words) against
  // tile_lane_field of product_tile, for every lane, width, block shape and both orders.
  Rng rng(12);
  for (int bits = 1; bits <= 8; ++bits) {
    for (const auto& rc : {std::pair<int, int>{1, 1}, {2, 1}, {1, 3}, {3, 2}}) {
      const int tr = rc.first, tc = rc.second;
      const int64_t blocks = 3, tiles = blocks * tr * tc;
      std::vector<uint32_t> stream(static_cast<size_t>(tile_stream_words(tiles, bits)));
      for (size_t i = 0; i + 1 < stream.size(); ++i) stream[i] = rng.next_u32();
      for (bool transposed : {false, true}) {
        const ProductTileWords tw = product_tile_words(tr, tc, bits, transposed);
        for (int64_t b = 0; b < blocks; ++b) {
          for (int o = 0; o < (transposed ? tc : tr); ++o) {
            for (int t = 0; t < (transposed ? tr : tc); ++t) {
              const int first = static_cast<int>(b) * tw.per_block + o * tw.per_out + t * tw.per_in;
              EXPECT_EQ(first, product_tile(b, o, t, tr, tc, transposed) * tile_words(bits));
              for (int lane = 0; lane < 32; ++lane) {
                ASSERT_EQ(read_lane_field(stream.data() + first, lane_field(lane, bits)),
                          tile_lane_field(stream.data(), product_tile(b, o, t, tr, tc, transposed), lane, bits))
                    << bits << " " << lane;
              }
            }
          }
        }
      }
    }
  }
}

TEST(TcOperands, TilesRejectBlocksThatAreNotMultiplesOfEight) {
  Rng rng(1);
  const auto codes = testing::random_codes(12 * 12, 2, rng);
  std::vector<uint8_t> mask(codes.size(), 1);
  const BsrWeights w = bsr_pack(codes.data(), mask.data(), 12, 12, 4, 4, 2, nullptr);
  EXPECT_THROW(bsr_tiles(w), InputError);
  EXPECT_FALSE(tc_blocks_supported(8, 12));
  EXPECT_TRUE(tc_blocks_supported(24, 40));
}

}  // namespace
}  // namespace bitblock::kernels
