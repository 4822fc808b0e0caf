#pragma once
// A YAML "billion laughs": nine levels of ten aliases each, 10^9 nodes when expanded and a
// handful when parsed. Readers of untrusted YAML must refuse it (document.hpp's node limit).
#include <string>

namespace bitblock::testing_support {

inline std::string alias_bomb_yaml() {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) bomb += ", " + prev;
    bomb += "]\n";
  }
  return bomb;
}

}  // namespace bitblock::testing_support
