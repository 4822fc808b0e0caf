#include "constraint/memory.hpp"

#include <algorithm>

#include "constraint/units.hpp"

namespace bitblock::detail {

MemoryCost memory_cost(const ConstraintSpec& spec, int64_t rows, int64_t cols, const std::vector<uint8_t>& mask) {
  model::MemoryCounts n{rows, cols, std::count(mask.begin(), mask.end(), uint8_t{1}), 0, 0, 0};
  if (spec.structure == Structure::Block) {
    n.grid_rows = block_grid_rows(spec, rows);
    n.grid_cols = block_grid_cols(spec, cols);
    for (int64_t u = 0; u < n.grid_rows * n.grid_cols; ++u) {
      Rect r = unit_rect(spec, rows, cols, u);
      n.kept_blocks += mask[static_cast<size_t>(r.r0 * cols + r.c0)];
    }
  }
  const model::MemoryRule rule{spec.structure, spec.selection == Selection::Magnitude,
                               spec.scale == ScaleMode::PerRow, spec.weight_bits};
  return {model::accounted_memory(rule, n), rows, cols, spec.weight_bits};
}

}  // namespace bitblock::detail
