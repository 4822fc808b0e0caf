#include "constraint_memory.hpp"

#include <algorithm>

#include "constraint_units.hpp"

namespace bitblock::detail {

model::Sparsity model_sparsity(Structure s) {
  switch (s) {
    case Structure::None: return model::Sparsity::None;
    case Structure::Element: return model::Sparsity::Element;
    case Structure::Row: return model::Sparsity::Row;
    case Structure::Column: return model::Sparsity::Column;
    case Structure::Block: return model::Sparsity::Block;
  }
  return model::Sparsity::None;
}

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
  const model::MemoryRule rule{model_sparsity(spec.structure), spec.selection == Selection::Magnitude,
                               spec.scale == ScaleMode::PerRow, spec.weight_bits};
  const model::StageMemory m = model::accounted_memory(rule, n);
  MemoryCost c;
  c.rows = rows;
  c.cols = cols;
  c.weight_bits = spec.weight_bits;
  c.kept_values = m.kept_values;
  c.value_bits = m.value_bits;
  c.index_bits = m.index_bits;
  c.scale_bits = m.scale_bits;
  return c;
}

}  // namespace bitblock::detail
