// BsrPlan values straight from the float effective weights of the kept blocks (the training
// step's W_eff), skipping the k-bit codes: the constraint has already quantized them.
#include <algorithm>

#include "bitblock/kernels/codes.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "bsgemm/plan_build.hpp"

namespace bitblock::kernels {

BsrPlan bsr_plan_for_layout(const BsrLayout& layout) {
  BsrWeights empty;
  empty.layout = layout;
  empty.bits = 8;
  empty.packed.assign(static_cast<size_t>(packed_code_bytes(layout.kept_blocks() * layout.block_elems(), 8)), 0);
  empty.row_scales.assign(static_cast<size_t>(layout.rows), 0.0f);
  bsr_validate(empty, "bsr_plan_for_layout");
  return detail::make_plan(empty, true, true);
}

void bsr_plan_set_blocks(BsrPlan& plan, const float* blocks) {
  const BsrLayout& l = plan.layout;
  const int br = l.block_rows, bc = l.block_cols;
  const int fl = plan.fwd_lanes, bl = plan.bwd_lanes;
  float* fwd = plan.fwd.data();
  float* bwd = plan.bwd.data();
#pragma omp parallel for schedule(dynamic, 4) if (l.kept_blocks() * l.block_elems() > (1 << 15))
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      for (int r = 0; r < nr; ++r) {
        const float* src = blocks + (static_cast<int64_t>(b) * br + r) * bc;
        std::copy(src, src + nc, bwd + (static_cast<int64_t>(b) * br + r) * bl);
        for (int c = 0; c < nc; ++c) fwd[(static_cast<int64_t>(b) * bc + c) * fl + r] = src[c];
      }
    }
  }
}

}  // namespace bitblock::kernels
