// Binary weights on kept blocks times sign inputs (bgemm_blocks.hpp): per block-row the input bits
// of its kept block-columns are gathered into dense rows and multiplied by the block-row's weight
// signs with bgemm_binary; a layout keeping everything multiplies the packed inputs directly.
#include "bitblock/kernels/bgemm_blocks.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels {
namespace {

// `len` (1..64) bits of a sign row starting at bit `start`.
inline uint64_t bits_at(const uint64_t* row, int64_t start, int len) {
  const int64_t w = start / 64;
  const int s = static_cast<int>(start % 64);
  uint64_t v = row[w] >> s;
  if (s != 0 && s + len > 64) v |= row[w + 1] << (64 - s);
  return len == 64 ? v : v & ((uint64_t{1} << len) - 1);
}

// ORs `len` (1..64) bits into a zeroed sign row at bit `pos`.
inline void put_bits(uint64_t* row, int64_t pos, uint64_t v, int len) {
  const int64_t w = pos / 64;
  const int s = static_cast<int>(pos % 64);
  row[w] |= v << s;
  if (s != 0 && s + len > 64) row[w + 1] |= v >> (64 - s);
}

// Calls fn(block-column j, first column, width) for the kept blocks of block-row i in order.
template <typename Fn>
void for_kept(const BsrLayout& l, int64_t i, Fn fn) {
  for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
    const int64_t j = l.block_col_idx[b];
    fn(b, j * l.block_cols, l.cols_in_block_col(j));
  }
}

// The kept columns of block-row i of every row of A (M rows of sign_words(cols) words) -> out
// (M rows of sign_words(K_i) words, zeroed here).
void gather_row_bits(const uint64_t* A, int64_t M, const BinaryBlocks& W, int64_t i, uint64_t* out) {
  const BsrLayout& l = W.layout;
  const int64_t words = sign_words(l.cols), kw = sign_words(W.kept_cols[i]);
  std::fill(out, out + M * kw, uint64_t{0});
  for (int64_t m = 0; m < M; ++m) {
    const uint64_t* a = A + m * words;
    uint64_t* o = out + m * kw;
    int64_t pos = 0;
    for_kept(l, i, [&](int32_t, int64_t c0, int width) {
      for (int c = 0; c < width; c += 64) {
        const int len = std::min(64, width - c);
        put_bits(o, pos, bits_at(a, c0 + c, len), len);
        pos += len;
      }
    });
  }
}

// C[m][n] = the +-1 dot product of A row m and weight row n over the kept positions.
void binary_product(const uint64_t* A, int64_t M, const BinaryBlocks& W, int32_t* C, int64_t ldc) {
  const BsrLayout& l = W.layout;
  if (W.full) {
    bgemm_binary(A, M, W.signs.data(), l.rows, l.cols, C, ldc);
    return;
  }
  const int64_t nbr = l.num_block_rows();
#pragma omp parallel
  {
    std::vector<uint64_t> gathered;
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < nbr; ++i) {
      const int64_t r0 = i * l.block_rows, rows = l.rows_in_block_row(i);
      if (W.kept_cols[i] == 0) {
        for (int64_t m = 0; m < M; ++m) std::fill(C + m * ldc + r0, C + m * ldc + r0 + rows, 0);
        continue;
      }
      gathered.resize(static_cast<size_t>(M * sign_words(W.kept_cols[i])));
      gather_row_bits(A, M, W, i, gathered.data());
      bgemm_binary(gathered.data(), M, W.signs.data() + W.offset[i], rows, W.kept_cols[i], C + r0, ldc);
    }
  }
}

// Packs X twice: 0 as +1 (plus) and 0 as -1 (minus). Returns whether any value was 0.
template <typename T>
bool pack_both(const T* X, int64_t M, int64_t K, int64_t ldx, uint64_t* plus, uint64_t* minus) {
  const int64_t words = sign_words(K);
  int zeros = 0;
#pragma omp parallel for schedule(static) reduction(| : zeros) if (M * K > (1 << 16))
  for (int64_t m = 0; m < M; ++m) {
    const T* x = X + m * ldx;
    for (int64_t w = 0; w < words; ++w) {
      const int64_t c0 = w * 64, n = std::min<int64_t>(64, K - c0);
      uint64_t p = 0, q = 0;
      for (int64_t c = 0; c < n; ++c) {
        p |= static_cast<uint64_t>(x[c0 + c] >= T(0)) << c;
        q |= static_cast<uint64_t>(x[c0 + c] > T(0)) << c;
      }
      plus[m * words + w] = p;
      minus[m * words + w] = q;
      zeros |= p != q;
    }
  }
  return zeros != 0;
}

// The exact integer products of X (values in {-1, 0, +1}) into C (M x rows, ld rows).
template <typename T>
void sign_input_product(const T* X, int64_t M, int64_t ldx, const BinaryBlocks& W, std::vector<int32_t>& C) {
  const BsrLayout& l = W.layout;
  const int64_t words = sign_words(l.cols), N = l.rows;
  std::vector<uint64_t> plus(static_cast<size_t>(M * words)), minus(plus.size());
  C.resize(static_cast<size_t>(M * N));
  const bool zeros = pack_both(X, M, l.cols, ldx, plus.data(), minus.data());
  binary_product(plus.data(), M, W, C.data(), N);
  if (!zeros) return;
  std::vector<int32_t> other(C.size());
  binary_product(minus.data(), M, W, other.data(), N);
  // A 0 input adds +w to one product and -w to the other: the mean is exact (the sum is even).
  for (size_t e = 0; e < C.size(); ++e) C[e] = (C[e] + other[e]) / 2;
}

// Sets the signs of block-row i's rows from value(r, b, c): the weight at in-matrix row r, kept
// block b, in-block column c; scales from |value| at the row's first kept position.
template <typename Value>
void set_signs(BinaryBlocks& w, Value value) {
  const BsrLayout& l = w.layout;
  std::fill(w.signs.begin(), w.signs.end(), uint64_t{0});
  std::fill(w.row_scales.begin(), w.row_scales.end(), 0.0f);
  const int64_t nbr = l.num_block_rows();
#pragma omp parallel for schedule(static) if (l.rows * l.cols > (1 << 16))
  for (int64_t i = 0; i < nbr; ++i) {
    const int64_t kw = sign_words(w.kept_cols[i]);
    for (int r = 0; r < l.rows_in_block_row(i); ++r) {
      const int64_t n = i * l.block_rows + r;
      uint64_t* row = w.signs.data() + w.offset[i] + r * kw;
      int64_t pos = 0;
      bool first = true;
      for_kept(l, i, [&](int32_t b, int64_t, int width) {
        for (int c = 0; c < width; ++c, ++pos) {
          const float v = value(n, r, b, c);
          if (first) w.row_scales[static_cast<size_t>(n)] = std::fabs(v);
          first = false;
          row[pos / 64] |= static_cast<uint64_t>(v >= 0.0f) << (pos % 64);
        }
      });
    }
  }
}

}  // namespace

BinaryBlocks binary_blocks(const BsrLayout& layout) {
  BinaryBlocks w;
  w.layout = layout;
  const int64_t nbr = layout.num_block_rows();
  w.kept_cols.assign(static_cast<size_t>(nbr), 0);
  w.offset.assign(static_cast<size_t>(nbr), 0);
  w.full = true;
  int64_t words = 0;
  for (int64_t i = 0; i < nbr; ++i) {
    for_kept(layout, i, [&](int32_t, int64_t, int width) { w.kept_cols[static_cast<size_t>(i)] += width; });
    w.full = w.full && w.kept_cols[static_cast<size_t>(i)] == layout.cols;
    w.offset[static_cast<size_t>(i)] = words;
    words += layout.rows_in_block_row(i) * sign_words(w.kept_cols[static_cast<size_t>(i)]);
  }
  w.signs.assign(static_cast<size_t>(words), 0);
  w.row_scales.assign(static_cast<size_t>(layout.rows), 0.0f);
  return w;
}

void binary_blocks_set_dense(BinaryBlocks& w, const float* W) {
  const BsrLayout& l = w.layout;
  set_signs(w, [&](int64_t n, int, int32_t b, int c) {
    return W[n * l.cols + int64_t{l.block_col_idx[static_cast<size_t>(b)]} * l.block_cols + c];
  });
}

void binary_blocks_set_kept(BinaryBlocks& w, const float* blocks) {
  const BsrLayout& l = w.layout;
  set_signs(w, [&](int64_t, int r, int32_t b, int c) { return blocks[(b * int64_t{l.block_rows} + r) * l.block_cols + c]; });
}

BinaryBlocks binary_blocks_from_bsr(const BsrWeights& bsr) {
  if (bsr.bits != 1) fail_input("binary_blocks_from_bsr", "needs 1-bit weights, got " + std::to_string(bsr.bits));
  const BsrLayout& l = bsr.layout;
  std::vector<float> blocks(static_cast<size_t>(l.kept_blocks() * l.block_elems()));
  std::vector<int8_t> codes(static_cast<size_t>(l.block_elems()));
  for (int64_t b = 0; b < l.kept_blocks(); ++b) {
    bsr_decode_block(bsr, b, codes.data());
    for (int64_t e = 0; e < l.block_elems(); ++e) blocks[static_cast<size_t>(b * l.block_elems() + e)] = codes[static_cast<size_t>(e)];
  }
  BinaryBlocks w = binary_blocks(l);
  binary_blocks_set_kept(w, blocks.data());
  w.row_scales = bsr.row_scales;
  return w;
}

void bgemm_sign_input(const float* X, int64_t M, int64_t ldx, const BinaryBlocks& W, float* Y, int64_t ldy) {
  std::vector<int32_t> C;
  sign_input_product(X, M, ldx, W, C);
  const int64_t N = W.layout.rows;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      Y[m * ldy + n] = static_cast<float>(C[static_cast<size_t>(m * N + n)]) * W.row_scales[static_cast<size_t>(n)];
}

void bgemm_sign_input_int(const int16_t* X, int64_t M, int64_t ldx, const BinaryBlocks& W, int32_t* Y, int64_t ldy) {
  std::vector<int32_t> C;
  sign_input_product(X, M, ldx, W, C);
  const int64_t N = W.layout.rows;
  for (int64_t m = 0; m < M; ++m) std::copy(C.begin() + m * N, C.begin() + (m + 1) * N, Y + m * ldy);
}

}  // namespace bitblock::kernels
