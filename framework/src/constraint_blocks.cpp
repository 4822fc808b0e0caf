// WeightConstraint::apply_blocks: the constraint's forward on compactly stored kept blocks (the
// packed training path), producing the values apply() produces at those positions.
#include <algorithm>

#include "bitblock/framework/constraint.hpp"
#include "constraint_quantizer.hpp"

namespace bitblock {

void WeightConstraint::apply_blocks(const kernels::BsrLayout& l, const float* latent, float* effective) {
  const int64_t br = l.block_rows, bc = l.block_cols;
  const int64_t n = l.kept_blocks() * l.block_elems();
  const int bits = spec_.weight_bits;
  if (bits == 32) {
    std::copy(latent, latent + n, effective);
    return;
  }
  detail::row_statistics_blocks(l, latent, bits, row_stat_.data(), row_count_.data());
  detail::scales_from_statistics(bits, spec_.scale, rows_, row_stat_.data(), row_count_.data(), scales_);
  const bool per_row = spec_.scale == ScaleMode::PerRow;
  const float* scales = scales_.data();
  auto scale = [&](int64_t row) { return scales[per_row ? row : 0]; };
  // Kept weights that form runs are quantized run by run (vectorized): a block-row of one-row
  // blocks without a ragged edge is one run under one scale (rows, elements); a full-height
  // one-column block is a run down the rows (columns). Other blocks go row by row.
  const bool row_runs = br == 1 && l.cols % bc == 0;
#pragma omp parallel for schedule(static) if (n >= 65536)
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int nr = l.rows_in_block_row(i);
    const int32_t b0 = l.block_row_ptr[i], b1 = l.block_row_ptr[i + 1];
    if (row_runs) {
      detail::quantize_run(latent + int64_t{b0} * bc, effective + int64_t{b0} * bc, int64_t{b1 - b0} * bc, scale(i), bits);
      continue;
    }
    for (int32_t b = b0; b < b1; ++b) {
      const float* w = latent + int64_t{b} * br * bc;
      float* e = effective + int64_t{b} * br * bc;
      if (bc == 1 && nr == br && per_row) {
        detail::quantize_run_scales(w, e, br, scales + i * br, bits);
        continue;
      }
      if (bc == 1 && nr == br) {
        detail::quantize_run(w, e, br, scale(0), bits);
        continue;
      }
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      for (int r = 0; r < br; ++r) {
        const int width = r < nr ? nc : 0;
        detail::quantize_run(w + r * bc, e + r * bc, width, r < nr ? scale(i * br + r) : 0.0f, bits);
        std::fill(e + r * bc + width, e + (r + 1) * bc, 0.0f);  // ragged edge
      }
    }
  }
}

}  // namespace bitblock
