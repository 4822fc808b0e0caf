#pragma once
// Random inputs shared by the kernel tests: codes in range for a width, block masks at a
// compression ratio (with empty block-rows), float and int16 activations. All from a seed.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/codes.hpp"

namespace bitblock::kernels::testing {

inline std::vector<int8_t> random_codes(int64_t n, int bits, Rng& rng) {
  std::vector<int8_t> codes(static_cast<size_t>(n));
  const int lo = code_min(bits), hi = code_max(bits);
  for (auto& c : codes) {
    if (bits == 1) {
      c = static_cast<int8_t>(rng.below(2) ? 1 : -1);
    } else {
      c = static_cast<int8_t>(lo + static_cast<int>(rng.below(static_cast<uint32_t>(hi - lo + 1))));
    }
  }
  return codes;
}

// Element mask (rows x cols) keeping about 1/ratio of the blocks of each block-row; block-row 1
// (when it exists) is left empty. Kept blocks mark only one random element, so the layout must
// keep a block when any element is kept.
inline std::vector<uint8_t> random_block_mask(int64_t rows, int64_t cols, int br, int bc, int ratio, Rng& rng) {
  std::vector<uint8_t> mask(static_cast<size_t>(rows * cols), 0);
  const int64_t nbr = (rows + br - 1) / br, nbc = (cols + bc - 1) / bc;
  for (int64_t i = 0; i < nbr; ++i) {
    if (i == 1) continue;
    for (int64_t j = 0; j < nbc; ++j) {
      if (rng.below(static_cast<uint32_t>(ratio)) != 0) continue;
      const int64_t nr = std::min<int64_t>(br, rows - i * br), nc = std::min<int64_t>(bc, cols - j * bc);
      const int64_t r = i * br + rng.below(static_cast<uint32_t>(nr));
      const int64_t c = j * bc + rng.below(static_cast<uint32_t>(nc));
      mask[static_cast<size_t>(r * cols + c)] = 1;
    }
  }
  return mask;
}

// Dense codes with every element outside kept blocks (per the element mask) zeroed: the
// independent expectation for unpacking.
inline std::vector<int8_t> masked_dense(const std::vector<int8_t>& codes, const std::vector<uint8_t>& mask,
                                        int64_t rows, int64_t cols, int br, int bc) {
  std::vector<int8_t> out(codes.size(), 0);
  for (int64_t bi = 0; bi * br < rows; ++bi) {
    for (int64_t bj = 0; bj * bc < cols; ++bj) {
      bool kept = false;
      for (int64_t r = bi * br; r < std::min<int64_t>(rows, (bi + 1) * br); ++r) {
        for (int64_t c = bj * bc; c < std::min<int64_t>(cols, (bj + 1) * bc); ++c) kept |= mask[r * cols + c] != 0;
      }
      if (!kept) continue;
      for (int64_t r = bi * br; r < std::min<int64_t>(rows, (bi + 1) * br); ++r) {
        for (int64_t c = bj * bc; c < std::min<int64_t>(cols, (bj + 1) * bc); ++c) out[r * cols + c] = codes[r * cols + c];
      }
    }
  }
  return out;
}

inline std::vector<int16_t> random_int16(int64_t n, int lo, int hi, Rng& rng) {
  std::vector<int16_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<int16_t>(lo + static_cast<int>(rng.below(static_cast<uint32_t>(hi - lo + 1))));
  return v;
}

inline std::vector<float> random_floats(int64_t n, Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

}  // namespace bitblock::kernels::testing
