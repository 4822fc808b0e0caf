#pragma once
// Shared engine of the float CPU kernels (bsgemm forward / backward input, float x binary
// bgemm): out[m][out0 + v] = scale[v] * sum_l A[m][idx[l]] * P[l][v] for v < width. A panel is
// one block-row (or block-column, or weight-row tile) with its kept weights gathered K-major,
// so the inner loop is a dense rank-1 update over vectors of outputs and dropped blocks cost
// nothing.
#include <cstdint>
#include <vector>

namespace bitblock::kernels::detail {

constexpr int kPanelChunk = 16;  // outputs per chunk (two AVX2 vectors)

struct FloatPanel {
  int64_t out0 = 0;            // first output column
  int width = 0;               // outputs
  int64_t len = 0;             // gathered terms
  std::vector<int32_t> idx;    // len: column of A for term l
  std::vector<float> data;     // chunk c at c * len * 16; term l of a chunk at l * stride
  int chunks() const { return (width + kPanelChunk - 1) / kPanelChunk; }
  // Floats per term in chunk c: 16, or 8 for a last chunk of width <= 8.
  int stride(int c) const { return width - c * kPanelChunk > 8 ? 16 : 8; }
  float* term(int c, int64_t l) { return data.data() + c * len * kPanelChunk + l * stride(c); }
  const float* term(int c, int64_t l) const { return data.data() + c * len * kPanelChunk + l * stride(c); }
  // Sizes idx and data (zeroed) for `width` outputs and `len` terms.
  void reset(int64_t first_out, int out_width, int64_t terms);
};

// sign_flip: P holds sign masks (0 or -0.0f) and the term is A xor P (adds/subtracts only)
// instead of A * P. scale (per output column of `out`, may be null) is applied once at the end.
struct PanelOp {
  bool sign_flip = false;
  const float* scale = nullptr;
};

// Runs every panel over all M rows of A: m-blocks sized to keep A's rows in L2, OpenMP over the
// panels, AVX2 or portable by active_isa().
void run_panels(const float* A, int64_t M, int64_t lda, int64_t a_cols, const std::vector<FloatPanel>& panels,
                float* out, int64_t ldo, PanelOp op);

void panel_rows_portable(const float* A, int64_t rows, int64_t lda, const FloatPanel& p, float* out, int64_t ldo,
                         PanelOp op);
void panel_rows_avx2(const float* A, int64_t rows, int64_t lda, const FloatPanel& p, float* out, int64_t ldo,
                     PanelOp op);

}  // namespace bitblock::kernels::detail
