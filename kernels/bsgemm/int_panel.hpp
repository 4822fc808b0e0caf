#pragma once
// One block-row of BsrWeights gathered for the integer kernels: the kept blocks' codes laid side
// by side as dense int16 rows (length padded to 16 with zero codes), so each output is one dense
// dot product with the matching gathered slice of an activation row.
#include <cstdint>
#include <vector>

#include "bitblock/kernels/bsr.hpp"

namespace bitblock::kernels::detail {

struct IntPanel {
  int64_t row0 = 0;                  // first output row
  int rows = 0;                      // in-matrix output rows of this block-row
  int64_t len = 0;                   // gathered length, multiple of 16
  std::vector<int16_t> codes;        // round_up(rows, 8) x len, zero padded
  std::vector<int64_t> col_start;    // per kept block: its first input column
  std::vector<int> col_count;        // per kept block: in-matrix columns
};

constexpr int64_t kIntPanelAlign = 16;

// Fills p for block-row i (reuses p's storage).
void build_int_panel(const BsrWeights& W, int64_t i, IntPanel& p);

// Y[m][row0 .. row0+rows) for m < M from one panel; xg is scratch of p.len int16.
void int_panel_product_portable(const int16_t* X, int64_t M, int64_t ldx, const IntPanel& p, int32_t* Y,
                                int64_t ldy, int16_t* xg);
void int_panel_product_avx2(const int16_t* X, int64_t M, int64_t ldx, const IntPanel& p, int32_t* Y,
                            int64_t ldy, int16_t* xg);

}  // namespace bitblock::kernels::detail
