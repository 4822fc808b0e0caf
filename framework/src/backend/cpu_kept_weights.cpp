// The CPU backend's kept path: the kept units' products on kept weights only (block-sparse
// kernels for blocks, OpenBLAS on the kept rows / columns, CSR kernels for elements).
#include <stdexcept>
#include <vector>

#include "backend/backend.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "bitblock/kernels/cpu_features.hpp"
#include "bitblock/kernels/csr.hpp"
#include "bitblock/kernels/gather.hpp"
#include "bitblock/kernels/gemm.hpp"

namespace bitblock::backend {
namespace {

namespace k = kernels;

int64_t rows_of(const Tensor& t, int64_t per_row) { return per_row > 0 ? t.numel() / per_row : 0; }

// Compact row-major products of the kept rows / columns.
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t kk, const float* a, const float* b, float* c) {
  k::gemm(ta, tb, m, n, kk, 1.0f, a, ta ? m : kk, b, tb ? kk : n, 0.0f, c, n);
}

class CpuKeptWeights final : public KeptWeights {
 public:
  CpuKeptWeights(const k::BsrLayout& layout, KeptUnit unit) : KeptWeights(layout, unit) {
    const k::BsrLayout& l = this->layout();
    if (unit == KeptUnit::Row) {
      for (int64_t i = 0; i < l.rows; ++i)
        if (l.block_row_ptr[i + 1] > l.block_row_ptr[i]) kept_index_.push_back(static_cast<int32_t>(i));
    } else if (unit == KeptUnit::Column) {
      kept_index_ = l.block_col_idx;
    }
    if (unit == KeptUnit::Block) plan_ = k::bsr_plan_for_layout(l);
    if (unit == KeptUnit::Element) csr_ = k::csr_plan(l);
  }

  k::BlockLayoutView view() const override { return k::view_of(layout()); }

  void set_values(const Tensor& effective, const Tensor&, const Tensor&) override {
    if (unit() == KeptUnit::Block) k::bsr_plan_set_blocks(plan_, effective.data());
    values_ = effective.data();
  }

  void forward(const Tensor& x, Tensor& y) override {
    const k::BsrLayout& l = layout();
    const int64_t M = rows_of(x, l.cols), kept = l.kept_blocks();
    const int32_t* idx = kept_index_.data();
    switch (unit()) {
      case KeptUnit::Block: k::bsgemm_forward(x.data(), M, l.cols, plan_, y.data(), l.rows); break;
      case KeptUnit::Row:  // values: the kept rows of W_eff, [kept, cols]
        narrow_.resize(static_cast<size_t>(M * kept));
        gemm(false, true, M, kept, l.cols, x.data(), values_, narrow_.data());
        k::scatter_columns(narrow_.data(), M, kept, idx, kept, y.data(), l.rows, l.rows);
        break;
      case KeptUnit::Column:  // values: the kept columns of W_eff, transposed, [kept, rows]
        gathered_.resize(static_cast<size_t>(M * kept));
        k::gather_columns(x.data(), M, l.cols, idx, kept, gathered_.data(), kept);
        gemm(false, false, M, l.rows, kept, gathered_.data(), values_, y.data());
        break;
      case KeptUnit::Element: k::csr_forward(x.data(), M, l.cols, csr_, values_, y.data(), l.rows); break;
      case KeptUnit::None: throw std::logic_error("KeptWeights: no kept unit");
    }
  }

  void backward_weight(const Tensor& dy, const Tensor& x, Tensor& dw) override {
    const k::BsrLayout& l = layout();
    const int64_t M = rows_of(dy, l.rows), kept = l.kept_blocks();
    const int32_t* idx = kept_index_.data();
    switch (unit()) {
      case KeptUnit::Block:
        k::bsgemm_backward_weight(dy.data(), M, l.rows, x.data(), l.cols, l, dw.data());
        break;
      case KeptUnit::Row:  // dY's kept columns, [M, kept], serve the input gradient too
        gathered_.resize(static_cast<size_t>(M * kept));
        k::gather_columns(dy.data(), M, l.rows, idx, kept, gathered_.data(), kept);
        gemm(true, false, kept, l.cols, M, gathered_.data(), x.data(), dw.data());
        break;
      case KeptUnit::Column:  // X's kept columns (again: a layer may have run other groups since)
        gathered_.resize(static_cast<size_t>(M * kept));
        k::gather_columns(x.data(), M, l.cols, idx, kept, gathered_.data(), kept);
        gemm(true, false, kept, l.rows, M, gathered_.data(), dy.data(), dw.data());
        break;
      case KeptUnit::Element: k::csr_backward_weight(dy.data(), M, l.rows, x.data(), l.cols, csr_, dw.data()); break;
      case KeptUnit::None: throw std::logic_error("KeptWeights: no kept unit");
    }
  }

  bool backward_weight_add(const Tensor& dy, const Tensor& x, Tensor& dw) override {
    if (unit() != KeptUnit::Block) return false;
    const k::BsrLayout& l = layout();
    k::bsgemm_backward_weight_add(dy.data(), rows_of(dy, l.rows), l.rows, x.data(), l.cols, l, dw.data());
    return true;
  }

  void backward_input(const Tensor& dy, Tensor& dx) override {
    const k::BsrLayout& l = layout();
    const int64_t M = rows_of(dy, l.rows), kept = l.kept_blocks();
    const int32_t* idx = kept_index_.data();
    switch (unit()) {
      case KeptUnit::Block: k::bsgemm_backward_input(dy.data(), M, l.rows, plan_, dx.data(), l.cols); break;
      case KeptUnit::Row:  // gathered_: dY's kept columns from backward_weight
        gemm(false, false, M, l.cols, kept, gathered_.data(), values_, dx.data());
        break;
      case KeptUnit::Column:
        narrow_.resize(static_cast<size_t>(M * kept));
        gemm(false, true, M, kept, l.rows, dy.data(), values_, narrow_.data());
        k::scatter_columns(narrow_.data(), M, kept, idx, kept, dx.data(), l.cols, l.cols);
        break;
      case KeptUnit::Element: k::csr_backward_input(dy.data(), M, l.rows, csr_, values_, dx.data(), l.cols); break;
      case KeptUnit::None: throw std::logic_error("KeptWeights: no kept unit");
    }
  }

  void gather(const Tensor& dense, Tensor& blocks) const override {
    k::bsr_gather_blocks(layout(), dense.data(), blocks.data());
  }
  void write(const Tensor& blocks, Tensor& dense) const override {
    k::bsr_write_blocks(layout(), blocks.data(), dense.data());
  }
  void scatter(const Tensor& blocks, Tensor& dense) const override {
    k::bsr_scatter_blocks(layout(), blocks.data(), dense.data());
  }

  std::string kernels() const override {
    const std::string isa = k::isa_name(k::active_isa());
    switch (unit()) {
      case KeptUnit::Block: return "bsgemm (CPU, " + isa + ")";
      case KeptUnit::Row:
      case KeptUnit::Column: return "OpenBLAS SGEMM on the kept " + std::string(to_string(unit())) + "s";
      case KeptUnit::Element: return "CSR (CPU, " + isa + ")";
      case KeptUnit::None: break;
    }
    return "dense";
  }

 private:
  std::vector<int32_t> kept_index_;  // row: kept rows; column: kept columns (increasing)
  k::BsrPlan plan_;                  // block: layout and W_eff values of the kept blocks
  k::CsrPlan csr_;                   // element: CSR and column view of the kept weights
  const float* values_ = nullptr;    // W_eff of the kept units (set_values)
  std::vector<float> gathered_;      // column: kept input columns of X; row: kept columns of dY
  std::vector<float> narrow_;        // row: outputs of the kept rows; column: dX of the kept columns
};

}  // namespace

std::unique_ptr<KeptWeights> make_cpu_kept_weights(const k::BsrLayout& layout, KeptUnit unit) {
  return std::make_unique<CpuKeptWeights>(layout, unit);
}

}  // namespace bitblock::backend
