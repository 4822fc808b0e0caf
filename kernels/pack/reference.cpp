// Plain sign packing, one bit at a time: the oracle for the SIMD and CUDA versions.
#include "bitblock/kernels/pack.hpp"

namespace bitblock::kernels::reference {

void pack_signs(const float* X, int64_t rows, int64_t cols, int64_t ldx, uint64_t* out) {
  const int64_t words = sign_words(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t w = 0; w < words; ++w) out[r * words + w] = 0;
    for (int64_t c = 0; c < cols; ++c) {
      if (X[r * ldx + c] >= 0.0f) out[r * words + c / 64] |= uint64_t{1} << (c % 64);
    }
  }
}

}  // namespace bitblock::kernels::reference
