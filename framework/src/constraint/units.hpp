#pragma once
// Sparsity units of a constrained matrix: the element, row, column or block that the mask keeps
// or drops as a whole, how many a selection chooses among, and how many the schedule keeps.
#include <cstdint>

#include "bitblock/framework/constraint.hpp"

namespace bitblock::detail {

struct Rect {  // half-open [r0, r1) x [c0, c1)
  int64_t r0, r1, c0, c1;
  int64_t size() const { return (r1 - r0) * (c1 - c0); }
};

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t block_grid_rows(const ConstraintSpec& spec, int64_t rows);  // ragged last block-row
int64_t block_grid_cols(const ConstraintSpec& spec, int64_t cols);

// All units, numbered row-major (Element r*cols+c, Row r, Column c, Block br*grid_cols+bc).
int64_t unit_count(const ConstraintSpec& spec, int64_t rows, int64_t cols);
Rect unit_rect(const ConstraintSpec& spec, int64_t rows, int64_t cols, int64_t unit);

// Random selection keeps the same number of units in each group: Element per row, Block per
// block-row; Row and Column form one group. Unit = group * group_size + index.
int64_t random_group_count(const ConstraintSpec& spec, int64_t rows, int64_t cols);
int64_t random_group_size(const ConstraintSpec& spec, int64_t rows, int64_t cols);

// max(1, round(units / ratio)), rounding halves up.
int64_t kept_units(int64_t units, double ratio);
// Zhu & Gupta cubic ramp: 1 before start, 1/r + (1 - 1/r)(1 - (e - start)/(end - start))^3,
// 1/r from the end epoch on.
double cubic_kept_fraction(const ConstraintSpec& spec, int epoch);
// Units magnitude pruning keeps at an epoch (the schedule's fraction of unit_count).
int64_t magnitude_target_units(const ConstraintSpec& spec, int64_t rows, int64_t cols, int epoch);

}  // namespace bitblock::detail
