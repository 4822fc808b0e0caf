// Sign packing and k-bit quantization on the CPU: portable paths and the ISA dispatch.
#include <algorithm>
#include <cmath>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/codes.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "bitblock/kernels/pack.hpp"
#include "pack/pack_avx2.hpp"

namespace bitblock::kernels {
namespace {
void pack_signs_portable(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out) {
  const int64_t words = sign_words(cols);
#pragma omp parallel for schedule(static) if (rows * cols > (1 << 16))
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = X + r * ldx;
    for (int64_t w = 0; w < words; ++w) {
      const int64_t c0 = w * 64, n = std::min<int64_t>(64, cols - c0);
      uint64_t word = 0;
      for (int64_t c = 0; c < n; ++c) word |= static_cast<uint64_t>(x[c0 + c] >= 0.0f) << c;
      out[r * words + w] = word;
    }
  }
}
}  // namespace

void pack_signs(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out) {
  if (active_isa() != Isa::Portable) {
    detail::pack_signs_avx2(X, rows, cols, ldx, out);
  } else {
    pack_signs_portable(X, rows, cols, ldx, out);
  }
}

void unpack_signs(const uint64_t* bits, int64_t rows, int64_t cols, float* X, int64_t ldx) {
  const int64_t words = sign_words(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      X[r * ldx + c] = (bits[r * words + c / 64] >> (c % 64)) & 1u ? 1.0f : -1.0f;
    }
  }
}

void quantize_codes(const float* x, int64_t n, int bits, float scale, int8_t* codes) {
  if (!valid_code_bits(bits)) fail_input("quantize_codes", "unsupported code width " + std::to_string(bits));
  if (bits != 1 && !(scale > 0.0f)) fail_input("quantize_codes", "scale must be positive");
  for (int64_t i = 0; i < n; ++i) codes[i] = static_cast<int8_t>(quantize_code(x[i], scale, bits));
}

void dequantize_codes(const int8_t* codes, int64_t n, float scale, float* x) {
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(codes[i]) * scale;
}

}  // namespace bitblock::kernels
