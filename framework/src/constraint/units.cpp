#include "constraint/units.hpp"

#include <algorithm>
#include <cmath>

namespace bitblock::detail {

int64_t block_grid_rows(const ConstraintSpec& spec, int64_t rows) { return ceil_div(rows, spec.block_rows); }
int64_t block_grid_cols(const ConstraintSpec& spec, int64_t cols) { return ceil_div(cols, spec.block_cols); }

int64_t unit_count(const ConstraintSpec& spec, int64_t rows, int64_t cols) {
  switch (spec.structure) {
    case Structure::None:
    case Structure::Element: return rows * cols;
    case Structure::Row: return rows;
    case Structure::Column: return cols;
    case Structure::Block: return block_grid_rows(spec, rows) * block_grid_cols(spec, cols);
  }
  return 0;
}

Rect unit_rect(const ConstraintSpec& spec, int64_t rows, int64_t cols, int64_t unit) {
  switch (spec.structure) {
    case Structure::None:
    case Structure::Element: return {unit / cols, unit / cols + 1, unit % cols, unit % cols + 1};
    case Structure::Row: return {unit, unit + 1, 0, cols};
    case Structure::Column: return {0, rows, unit, unit + 1};
    case Structure::Block: {
      int64_t grid_cols = block_grid_cols(spec, cols);
      int64_t r0 = (unit / grid_cols) * spec.block_rows;
      int64_t c0 = (unit % grid_cols) * spec.block_cols;
      return {r0, std::min(rows, r0 + spec.block_rows), c0, std::min(cols, c0 + spec.block_cols)};
    }
  }
  return {0, 0, 0, 0};
}

int64_t random_group_count(const ConstraintSpec& spec, int64_t rows, int64_t cols) {
  (void)cols;
  switch (spec.structure) {
    case Structure::None:
    case Structure::Element: return rows;
    case Structure::Block: return block_grid_rows(spec, rows);
    case Structure::Row:
    case Structure::Column: return 1;
  }
  return 0;
}

int64_t random_group_size(const ConstraintSpec& spec, int64_t rows, int64_t cols) {
  switch (spec.structure) {
    case Structure::None:
    case Structure::Element: return cols;
    case Structure::Block: return block_grid_cols(spec, cols);
    case Structure::Row: return rows;
    case Structure::Column: return cols;
  }
  return 0;
}

int64_t kept_units(int64_t units, double ratio) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(units) / ratio));
}

double cubic_kept_fraction(const ConstraintSpec& spec, int epoch) {
  double final_fraction = 1.0 / spec.ratio;
  if (spec.ratio <= 1.0 || epoch < spec.prune_start_epoch) return 1.0;
  if (epoch >= spec.prune_end_epoch) return final_fraction;
  double progress = double(epoch - spec.prune_start_epoch) / double(spec.prune_end_epoch - spec.prune_start_epoch);
  double remaining = 1.0 - progress;
  return final_fraction + (1.0 - final_fraction) * remaining * remaining * remaining;
}

int64_t magnitude_target_units(const ConstraintSpec& spec, int64_t rows, int64_t cols, int epoch) {
  int64_t units = unit_count(spec, rows, cols);
  if (spec.ratio <= 1.0 || epoch < spec.prune_start_epoch) return units;
  // The end point uses units / ratio exactly, so the final mask matches random selection's count.
  if (epoch >= spec.prune_end_epoch) return kept_units(units, spec.ratio);
  double fraction = cubic_kept_fraction(spec, epoch);
  return std::max<int64_t>(1, std::llround(static_cast<double>(units) * fraction));
}

}  // namespace bitblock::detail

namespace bitblock {

std::pair<int, int> unit_block_shape(const ConstraintSpec& spec, int64_t rows, int64_t cols) {
  switch (spec.structure) {
    case Structure::Block: return {spec.block_rows, spec.block_cols};
    case Structure::Element: return {1, 1};
    case Structure::Row: return {1, static_cast<int>(cols)};
    case Structure::Column: return {static_cast<int>(rows), 1};
    case Structure::None: break;
  }
  // Dense: 8x8 tiles, so hwsim schedules it like the block-sparse layers.
  return {static_cast<int>(std::min<int64_t>(8, rows)), static_cast<int>(std::min<int64_t>(8, cols))};
}

}  // namespace bitblock
