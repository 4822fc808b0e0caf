// Dropout masks one draw at a time (Rng::next_u32).
#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/dropout.hpp"

namespace bitblock::kernels::reference {

void dropout_mask(uint64_t* cursor, int64_t n, float p, float* mask) {
  Rng rng;
  rng.restore(cursor[0], cursor[1]);
  const float keep_scale = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i) mask[i] = rng.uniform() < p ? 0.0f : keep_scale;
  cursor[0] = rng.state();
}

}  // namespace bitblock::kernels::reference
