// Binary weights on kept blocks times sign inputs (bgemm_blocks.hpp): the weight rows' signs and
// kept-position masks grouped by 8 for the vector lanes, the inputs packed once (bits, nonzero
// mask), and the ISA dispatch of the masked product (blocks_kernel.hpp).
#include "bitblock/kernels/bgemm_blocks.hpp"

#include <algorithm>
#include <cmath>

#include "bgemm/blocks_kernel.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels {
namespace detail {
void sign_blocks_portable(const SignRows& x, const BinaryBlocks& W, int32_t* C, int64_t ldc) {
  sign_blocks_loop(x, W, C, ldc);
}
}  // namespace detail

namespace {

// Calls fn(first column, width) for the kept blocks of block-row i in order.
template <typename Fn>
void for_kept(const BsrLayout& l, int64_t i, Fn fn) {
  for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
    const int64_t j = l.block_col_idx[b];
    fn(b, j * l.block_cols, l.cols_in_block_col(j));
  }
}

inline size_t at(const BinaryBlocks& w, int64_t n, int64_t word) {
  return static_cast<size_t>(((n / 8) * w.words + word) * 8 + n % 8);
}

// Packs X: bits (x >= 0), nonzero (x != 0) and whether each row has a 0.
template <typename T>
void pack_inputs(const T* X, int64_t M, int64_t K, int64_t ldx, std::vector<uint64_t>& bits,
                 std::vector<uint64_t>& nonzero, std::vector<uint8_t>& has_zero) {
  const int64_t words = sign_words(K);
  bits.resize(static_cast<size_t>(M * words));
  nonzero.resize(bits.size());
  has_zero.resize(static_cast<size_t>(M));
  if (active_isa() == Isa::Avx512) {
    detail::pack_sign_rows_avx512(X, M, K, ldx, bits.data(), nonzero.data(), has_zero.data());
    return;
  }
#pragma omp parallel for schedule(static) if (M * K > (1 << 16))
  for (int64_t m = 0; m < M; ++m) {
    const T* x = X + m * ldx;
    bool zero = false;
    for (int64_t w = 0; w < words; ++w) {
      const int64_t c0 = w * 64, n = std::min<int64_t>(64, K - c0);
      uint64_t p = 0, q = 0;
      for (int64_t c = 0; c < n; ++c) {
        p |= static_cast<uint64_t>(x[c0 + c] >= T(0)) << c;
        q |= static_cast<uint64_t>(x[c0 + c] != T(0)) << c;
      }
      bits[static_cast<size_t>(m * words + w)] = p;
      nonzero[static_cast<size_t>(m * words + w)] = q;
      zero = zero || q != (n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1);
    }
    has_zero[static_cast<size_t>(m)] = zero;
  }
}

template <typename T>
void sign_input_product(const T* X, int64_t M, int64_t ldx, const BinaryBlocks& W, int32_t* C, int64_t ldc) {
  std::vector<uint64_t> bits, nonzero;
  std::vector<uint8_t> has_zero;
  pack_inputs(X, M, W.layout.cols, ldx, bits, nonzero, has_zero);
  const detail::SignRows x{bits.data(), nonzero.data(), has_zero.data(), M};
  switch (active_isa()) {
    case Isa::Avx512: detail::sign_blocks_avx512(x, W, C, ldc); break;
    case Isa::Avx2: detail::sign_blocks_popcnt(x, W, C, ldc); break;
    default: detail::sign_blocks_portable(x, W, C, ldc); break;
  }
}

// Signs from value(n, b, c): the weight at row n, kept block b, in-block column c; scales from
// |value| at the row's first kept position.
template <typename Value>
void set_signs(BinaryBlocks& w, Value value) {
  const BsrLayout& l = w.layout;
  std::fill(w.signs.begin(), w.signs.end(), uint64_t{0});
  std::fill(w.row_scales.begin(), w.row_scales.end(), 0.0f);
  const int64_t nbr = l.num_block_rows();
#pragma omp parallel for schedule(static) if (l.rows * l.cols > (1 << 16))
  for (int64_t i = 0; i < nbr; ++i) {
    for (int r = 0; r < l.rows_in_block_row(i); ++r) {
      const int64_t n = i * l.block_rows + r;
      bool first = true;
      for_kept(l, i, [&](int32_t b, int64_t c0, int width) {
        for (int c = 0; c < width; ++c) {
          const float v = value(n, r, b, c);
          if (first) w.row_scales[static_cast<size_t>(n)] = std::fabs(v);
          first = false;
          const int64_t k = c0 + c;
          w.signs[at(w, n, k / 64)] |= static_cast<uint64_t>(v >= 0.0f) << (k % 64);
        }
      });
    }
  }
}

}  // namespace

BinaryBlocks binary_blocks(const BsrLayout& layout) {
  BinaryBlocks w;
  w.layout = layout;
  w.words = sign_words(layout.cols);
  const int64_t groups = (layout.rows + 7) / 8;
  w.signs.assign(static_cast<size_t>(groups * w.words * 8), 0);
  w.mask.assign(w.signs.size(), 0);
  w.kept.assign(static_cast<size_t>(groups * 8), 0);
  for (int64_t i = 0; i < layout.num_block_rows(); ++i)
    for (int r = 0; r < layout.rows_in_block_row(i); ++r) {
      const int64_t n = i * layout.block_rows + r;
      for_kept(layout, i, [&](int32_t, int64_t c0, int width) {
        for (int64_t k = c0; k < c0 + width; ++k) w.mask[at(w, n, k / 64)] |= uint64_t{1} << (k % 64);
        w.kept[static_cast<size_t>(n)] += width;
      });
    }
  w.active_ptr.assign(1, 0);
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t word = 0; word < w.words; ++word) {
      bool any = false;
      for (int l = 0; l < 8; ++l) any = any || w.mask[static_cast<size_t>((g * w.words + word) * 8 + l)] != 0;
      if (any) w.active.push_back(static_cast<int32_t>(word));
    }
    w.active_ptr.push_back(static_cast<int64_t>(w.active.size()));
  }
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
  const int64_t N = W.layout.rows;
  std::vector<int32_t> C(static_cast<size_t>(M * N));
  sign_input_product(X, M, ldx, W, C.data(), N);
#pragma omp parallel for schedule(static) if (M * N > (1 << 16))
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      Y[m * ldy + n] = static_cast<float>(C[static_cast<size_t>(m * N + n)]) * W.row_scales[static_cast<size_t>(n)];
}

void bgemm_sign_input_int(const int16_t* X, int64_t M, int64_t ldx, const BinaryBlocks& W, int32_t* Y, int64_t ldy) {
  sign_input_product(X, M, ldx, W, Y, ldy);
}

}  // namespace bitblock::kernels
