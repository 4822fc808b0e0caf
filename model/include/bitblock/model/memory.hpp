#pragma once
// Weight memory accounting in bits (docs/constraints.md "Memory accounting"): the one formula behind the
// training run's memory report (framework) and the memory of a model file, which the reader
// recomputes from the stored weights instead of trusting the numbers written in the file.
#include <cstdint>
#include <string>

#include "bitblock/common/enum_names.hpp"

namespace bitblock::model {

// The sparsity structure of a weight matrix: which units its mask keeps or drops (the config's
// `structure`, the model file's stage structure; framework trains under the same enum).
enum class Sparsity { None, Element, Row, Column, Block };
inline constexpr EnumName<Sparsity> kSparsityNames[] = {{Sparsity::None, "none"},
                                                        {Sparsity::Element, "element"},
                                                        {Sparsity::Row, "row"},
                                                        {Sparsity::Column, "column"},
                                                        {Sparsity::Block, "block"}};
inline const char* to_string(Sparsity s) { return name_of(kSparsityNames, s); }
Sparsity parse_sparsity(const std::string& s, const std::string& where);  // InputError naming where

struct StageMemory {
  int64_t kept_values = 0;
  int64_t value_bits = 0;
  int64_t index_bits = 0;
  int64_t scale_bits = 0;
  int64_t total_bits() const { return value_bits + index_bits + scale_bits; }
  bool operator==(const StageMemory& o) const {
    return kept_values == o.kept_values && value_bits == o.value_bits && index_bits == o.index_bits &&
           scale_bits == o.scale_bits;
  }
};

// What the accounting depends on besides the counts.
struct MemoryRule {
  Sparsity structure = Sparsity::None;
  bool row_pointers = false;    // magnitude selection: kept counts differ per row (CSR / BSR pointers)
  bool per_row_scales = true;   // scale per_row (rows scales) or per_layer (one)
  int bits = 32;                // 32: float values, no scales
};

// Kept elements of the matrix; the block grid and its kept blocks (Block only).
struct MemoryCounts {
  int64_t rows = 0, cols = 0;
  int64_t kept_values = 0;
  int64_t kept_blocks = 0, grid_rows = 0, grid_cols = 0;
};

StageMemory accounted_memory(const MemoryRule& rule, const MemoryCounts& n);

// Bits to store one of n values: ceil(log2 n), 0 for n <= 1.
int ceil_log2(int64_t n);

}  // namespace bitblock::model
