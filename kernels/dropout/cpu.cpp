// Dropout masks on the CPU: the draws come from Rng::fill_u32 (eight interleaved lanes) a chunk at
// a time, then a vectorizable compare; successive chunks continue the same sequence.
#include <algorithm>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/dropout.hpp"

namespace bitblock::kernels {

void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask) {
  Rng rng;
  rng.restore(cursor[0], cursor[1]);
  const float keep_scale = 1.0f / (1.0f - p);
  constexpr int64_t kChunk = 4096;
  uint32_t draws[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t len = std::min(kChunk, n - i0);
    rng.fill_u32(draws, len);
    float* m = mask + i0;
    for (int64_t i = 0; i < len; ++i) m[i] = pcg32_unit_float(draws[i]) < p ? 0.0f : keep_scale;
  }
  cursor[0] = rng.state();
}

}  // namespace bitblock::kernels
