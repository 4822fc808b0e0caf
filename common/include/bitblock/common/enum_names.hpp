#pragma once
// One table of spellings per enum (config values, YAML, log lines): parsing and printing read the
// same table, so each name is written once. A table lists every value once, in the order error
// messages list them; an old spelling may follow as an alias (it parses; name_of prints the first).
#include <cstddef>
#include <optional>
#include <string>

#include "bitblock/common/error.hpp"

namespace bitblock {

template <typename E>
struct EnumName {
  E value;
  const char* name;
};

template <typename E, size_t N>
const char* name_of(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E>& e : table)
    if (e.value == value) return e.name;
  return "?";
}

template <typename E, size_t N>
std::optional<E> value_of(const EnumName<E> (&table)[N], const std::string& name) {
  for (const EnumName<E>& e : table)
    if (name == e.name) return e.value;
  return std::nullopt;
}

// The names for a message: "a, b, c", or with last_separator " or ": "a, b or c".
template <typename E, size_t N>
std::string name_list(const EnumName<E> (&table)[N], const char* last_separator = ", ") {
  std::string out;
  for (size_t i = 0; i < N; ++i) out += std::string(i == 0 ? "" : i + 1 == N ? last_separator : ", ") + table[i].name;
  return out;
}

// The value named `name`; InputError "<where>: '<name>' is not one of a, b, c" otherwise.
template <typename E, size_t N>
E parse_name(const EnumName<E> (&table)[N], const std::string& name, const std::string& where) {
  if (const std::optional<E> v = value_of(table, name)) return *v;
  fail_input(where, "'" + name + "' is not one of " + name_list(table));
}

}  // namespace bitblock
