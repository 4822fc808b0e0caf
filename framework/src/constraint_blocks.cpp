// WeightConstraint::apply_blocks: the constraint's forward on compactly stored kept blocks (the
// packed training path), producing the values apply() produces at those positions.
#include <algorithm>

#include "bitblock/framework/constraint.hpp"
#include "constraint_quantizer.hpp"

namespace bitblock {

void WeightConstraint::apply_blocks(const kernels::BsrLayout& l, const float* latent, float* effective) {
  const int br = l.block_rows, bc = l.block_cols;
  const int64_t n = l.kept_blocks() * l.block_elems();
  const int bits = spec_.weight_bits;
  if (bits == 32) {
    std::copy(latent, latent + n, effective);
    return;
  }
  detail::row_statistics_blocks(l, latent, bits, row_stat_.data(), row_count_.data());
  detail::scales_from_statistics(bits, spec_.scale, rows_, row_stat_.data(), row_count_.data(), scales_);
  const bool per_row = spec_.scale == ScaleMode::PerRow;
  const int limit = bits == 1 ? 1 : kernels::kbit_limit(bits);
#pragma omp parallel for schedule(static) if (n >= 65536)
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      for (int r = 0; r < br; ++r) {
        const float* w = latent + (int64_t{b} * br + r) * bc;
        float* e = effective + (int64_t{b} * br + r) * bc;
        const float s = r < nr ? scales_[per_row ? static_cast<size_t>(i * br + r) : 0] : 0.0f;
        const int width = r < nr ? nc : 0;
        if (bits == 1) {
          for (int c = 0; c < width; ++c) e[c] = w[c] >= 0.0f ? s : -s;
        } else if (s == 0.0f) {
          std::fill(e, e + width, 0.0f);
        } else {
          for (int c = 0; c < width; ++c) e[c] = static_cast<float>(kernels::kbit_code(w[c], s, limit)) * s;
        }
        std::fill(e + width, e + bc, 0.0f);  // ragged edge
      }
    }
  }
}

}  // namespace bitblock
