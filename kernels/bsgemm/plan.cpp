// Building and refreshing BsrPlan: codes decoded straight from the packed stream (kbit.hpp's
// decoder), blocks in parallel.
#include <algorithm>
#include <cstring>
#include <string>

#include "bitblock/common/error.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "bitblock/kernels/kbit.hpp"
#include "bsgemm/plan_build.hpp"

namespace bitblock::kernels {
namespace {

int round8(int n) { return (n + 7) / 8 * 8; }

void fill_values(const BsrWeights& W, float* fwd, int fwd_lanes, float* bwd, int bwd_lanes) {
  const BsrLayout& l = W.layout;
  const int64_t bytes = static_cast<int64_t>(W.packed.size());
  const int br = l.block_rows, bc = l.block_cols;
#pragma omp parallel for schedule(dynamic, 4) if (l.kept_blocks() * l.block_elems() > (1 << 18))
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      for (int r = 0; r < br; ++r) {
        const float scale = r < nr ? W.row_scales[i * br + r] : 0.0f;
        for (int c = 0; c < bc; ++c) {
          const int64_t e = (static_cast<int64_t>(b) * br + r) * bc + c;
          const float v = r < nr && c < nc ? static_cast<float>(code_at(W.packed.data(), bytes, e, W.bits)) * scale : 0.0f;
          if (fwd) fwd[(static_cast<int64_t>(b) * bc + c) * fwd_lanes + r] = v;
          if (bwd) bwd[(static_cast<int64_t>(b) * br + r) * bwd_lanes + c] = v;
        }
      }
    }
  }
}

void block_columns(BsrPlan& p) {
  const BsrLayout& l = p.layout;
  const int64_t nbc = l.num_block_cols();
  p.col_ptr.assign(static_cast<size_t>(nbc + 1), 0);
  for (int32_t j : l.block_col_idx) ++p.col_ptr[static_cast<size_t>(j) + 1];
  for (int64_t j = 0; j < nbc; ++j) p.col_ptr[j + 1] += p.col_ptr[j];
  p.col_block.resize(l.block_col_idx.size());
  p.col_row.resize(l.block_col_idx.size());
  std::vector<int32_t> fill(p.col_ptr.begin(), p.col_ptr.end() - 1);
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int32_t at = fill[static_cast<size_t>(l.block_col_idx[b])]++;
      p.col_block[static_cast<size_t>(at)] = b;
      p.col_row[static_cast<size_t>(at)] = static_cast<int32_t>(i);
    }
  }
}

}  // namespace

namespace detail {
BsrPlan make_plan(const BsrWeights& W, bool forward, bool backward) {
  BsrPlan p;
  p.layout = W.layout;
  p.fwd_lanes = round8(W.layout.block_rows);
  p.bwd_lanes = round8(W.layout.block_cols);
  const int64_t kept = W.layout.kept_blocks();
  if (forward) p.fwd.assign(static_cast<size_t>(kept * W.layout.block_cols * p.fwd_lanes), 0.0f);
  if (backward) {
    block_columns(p);
    p.bwd.assign(static_cast<size_t>(kept * W.layout.block_rows * p.bwd_lanes), 0.0f);
  }
  fill_values(W, forward ? p.fwd.data() : nullptr, p.fwd_lanes, backward ? p.bwd.data() : nullptr, p.bwd_lanes);
  return p;
}
}  // namespace detail

BsrPlan bsr_plan(const BsrWeights& W) {
  bsr_validate(W, "bsr_plan");
  return detail::make_plan(W, true, true);
}

void bsr_plan_refresh(BsrPlan& plan, const BsrWeights& W) {
  const BsrLayout& a = plan.layout;
  const BsrLayout& b = W.layout;
  if (a.rows != b.rows || a.cols != b.cols || a.block_rows != b.block_rows || a.block_cols != b.block_cols ||
      a.block_row_ptr != b.block_row_ptr || a.block_col_idx != b.block_col_idx) {
    fail_input("bsr_plan_refresh", "weights have a different block layout than the plan (rebuild it with bsr_plan)");
  }
  bsr_validate(W, "bsr_plan_refresh");
  fill_values(W, plan.fwd.data(), plan.fwd_lanes, plan.bwd.data(), plan.bwd_lanes);
}

}  // namespace bitblock::kernels
