// Config spellings of the constraint enums (the tables are in constraint.hpp).
#include "bitblock/common/error.hpp"
#include "bitblock/framework/constraint.hpp"

namespace bitblock {

Selection parse_selection(const std::string& s, const std::string& where) {
  if (const std::optional<Selection> v = value_of(kSelectionNames, s)) return *v;
  fail_input(where, "unknown selection '" + s + "' (expected " + name_list(kSelectionNames, " or ") + ")");
}

ScaleMode parse_scale_mode(const std::string& s, const std::string& where) {
  if (const std::optional<ScaleMode> v = value_of(kScaleModeNames, s)) return *v;
  fail_input(where, "unknown scale mode '" + s + "' (expected " + name_list(kScaleModeNames, " or ") + ")");
}

}  // namespace bitblock
