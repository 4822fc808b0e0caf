#include "bitblock/model/memory.hpp"

#include "bitblock/common/error.hpp"

namespace bitblock::model {

Sparsity parse_sparsity(const std::string& s, const std::string& where) {
  if (const std::optional<Sparsity> v = value_of(kSparsityNames, s)) return *v;
  fail_input(where, "unknown sparsity structure '" + s + "' (expected " + name_list(kSparsityNames, " or ") + ")");
}

int ceil_log2(int64_t n) {
  int bits = 0;
  while (bits < 63 && (int64_t{1} << bits) < n) ++bits;
  return bits;
}

StageMemory accounted_memory(const MemoryRule& rule, const MemoryCounts& n) {
  StageMemory m;
  m.kept_values = n.kept_values;
  m.value_bits = n.kept_values * rule.bits;
  if (rule.bits != 32) m.scale_bits = 32 * (rule.per_row_scales ? n.rows : 1);
  switch (rule.structure) {
    case Sparsity::None: break;
    case Sparsity::Element:
      // CSR: a column index per kept value, plus row pointers into the values when rows differ.
      m.index_bits = n.kept_values * ceil_log2(n.cols);
      if (rule.row_pointers) m.index_bits += n.rows * ceil_log2(n.kept_values + 1);
      break;
    case Sparsity::Row: m.index_bits = n.rows; break;     // bitmap of kept rows
    case Sparsity::Column: m.index_bits = n.cols; break;  // bitmap of kept columns
    case Sparsity::Block:
      // BSR: a block-column index per kept block, plus block-row pointers when counts differ.
      m.index_bits = n.kept_blocks * ceil_log2(n.grid_cols);
      if (rule.row_pointers) m.index_bits += n.grid_rows * ceil_log2(n.kept_blocks + 1);
      break;
  }
  return m;
}

}  // namespace bitblock::model
