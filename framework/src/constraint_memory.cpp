#include "constraint_memory.hpp"

#include <algorithm>

#include "constraint_units.hpp"

namespace bitblock::detail {

MemoryCost memory_cost(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask) {
  MemoryCost m;
  m.rows = rows;
  m.cols = cols;
  m.weight_bits = spec.weight_bits;
  m.kept_values = std::count(mask.begin(), mask.end(), uint8_t{1});
  m.value_bits = m.kept_values * spec.weight_bits;
  if (spec.weight_bits != 32) m.scale_bits = 32 * (spec.scale == ScaleMode::PerRow ? rows : 1);
  bool row_pointers = spec.selection == Selection::Magnitude;  // random keeps a fixed count per row
  switch (spec.structure) {
    case Structure::None: break;
    case Structure::Element:
      // CSR: a column index per kept value, plus row pointers into the values when rows differ.
      m.index_bits = m.kept_values * ceil_log2(cols);
      if (row_pointers) m.index_bits += rows * ceil_log2(m.kept_values + 1);
      break;
    case Structure::Row: m.index_bits = rows; break;        // bitmap of kept rows
    case Structure::Column: m.index_bits = cols; break;     // bitmap of kept columns
    case Structure::Block: {
      int64_t grid_rows = block_grid_rows(spec, rows);
      int64_t grid_cols = block_grid_cols(spec, cols);
      int64_t kept_blocks = 0;
      for (int64_t u = 0; u < grid_rows * grid_cols; ++u) {
        Rect r = unit_rect(spec, rows, cols, u);
        kept_blocks += mask[static_cast<size_t>(r.r0 * cols + r.c0)];
      }
      // BSR: a block-column index per kept block, plus block-row pointers when counts differ.
      m.index_bits = kept_blocks * ceil_log2(grid_cols);
      if (row_pointers) m.index_bits += grid_rows * ceil_log2(kept_blocks + 1);
      break;
    }
  }
  return m;
}

}  // namespace bitblock::detail
