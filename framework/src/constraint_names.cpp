// Config spellings of the constraint enums (to_string and parse are inverses).
#include "bitblock/common/error.hpp"
#include "bitblock/framework/constraint.hpp"

namespace bitblock {

const char* to_string(Structure s) {
  switch (s) {
    case Structure::None: return "none";
    case Structure::Element: return "element";
    case Structure::Row: return "row";
    case Structure::Column: return "column";
    case Structure::Block: return "block";
  }
  return "?";
}

const char* to_string(Selection s) {
  switch (s) {
    case Selection::Random: return "random";
    case Selection::Magnitude: return "magnitude";
  }
  return "?";
}

const char* to_string(ScaleMode s) {
  switch (s) {
    case ScaleMode::PerLayer: return "per_layer";
    case ScaleMode::PerRow: return "per_row";
  }
  return "?";
}

Structure parse_structure(const std::string& s, const std::string& where) {
  for (Structure v : {Structure::None, Structure::Element, Structure::Row, Structure::Column, Structure::Block})
    if (s == to_string(v)) return v;
  fail_input(where, "unknown sparsity structure '" + s + "' (expected none, element, row, column or block)");
}

Selection parse_selection(const std::string& s, const std::string& where) {
  for (Selection v : {Selection::Random, Selection::Magnitude})
    if (s == to_string(v)) return v;
  fail_input(where, "unknown selection '" + s + "' (expected random or magnitude)");
}

ScaleMode parse_scale_mode(const std::string& s, const std::string& where) {
  for (ScaleMode v : {ScaleMode::PerLayer, ScaleMode::PerRow})
    if (s == to_string(v)) return v;
  fail_input(where, "unknown scale mode '" + s + "' (expected per_layer or per_row)");
}

}  // namespace bitblock
