#pragma once
// The config reader's view of one YAML map (private to the config files).
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <type_traits>

#include "bitblock/common/enum_names.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock::detail {

// Reads one YAML map, remembering which keys were read, so leftovers are reported as unknown.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, const std::string& source)
      : node_(node), path_(std::move(path)), source_(source) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) fail(path_, "expected a map");
  }
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    fail_input(source_, "key '" + key + "': " + problem);
  }
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool has(const std::string& key) {
    used_.insert(key);
    return node_ && node_.IsMap() && node_[key] && !node_[key].IsNull();
  }
  YAML::Node node(const std::string& key) {
    used_.insert(key);
    return node_[key];
  }
  template <typename T>
  void get(const std::string& key, T& out) {
    if (!has(key)) return;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) check_decimal(node_[key], key_path(key));
    try {
      out = node_[key].as<T>();
    } catch (const YAML::Exception&) {
      fail(key_path(key), "cannot read '" + scalar_text(key) + "' as " + type_name<T>());
    }
  }
  template <typename T>
  void get(const std::string& key, std::optional<T>& out) {
    if (!has(key)) return;
    T value{};
    get(key, value);
    out = value;
  }
  // The enum value a name read from `key` stands for (InputError "key '<key>': '<name>' is not
  // one of ..." otherwise).
  template <typename E, size_t N>
  E parse(const std::string& key, const std::string& name, const EnumName<E> (&table)[N]) const {
    return parse_name(table, name, source_ + ": key '" + key_path(key) + "'");
  }
  template <typename E, size_t N>
  void get(const std::string& key, const EnumName<E> (&table)[N], E& out) {
    if (!has(key)) return;
    std::string name;
    get(key, name);
    out = parse(key, name, table);
  }
  void finish() const {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>();
      if (!used_.count(key)) fail(key_path(key), "unknown key");
    }
  }
  const std::string& source() const { return source_; }
  // YAML 1.2's core schema reads integers in decimal; yaml-cpp follows YAML 1.1, where 064 is
  // octal 52 and 0x40 hex. A leading zero or a base prefix is refused rather than guessed.
  void check_decimal(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) return;
    const std::string& t = n.Scalar();
    const size_t digits = t.empty() || (t[0] != '-' && t[0] != '+') ? 0 : 1;
    if (t.size() > digits + 1 && t[digits] == '0')
      fail(key, "'" + t + "': integers are written in decimal without leading zeros (YAML 1.1 would read 064 as "
                "octal 52)");
  }

 private:
  std::string scalar_text(const std::string& key) const {
    YAML::Emitter e;
    e << YAML::Flow << node_[key];
    return e.c_str();
  }
  template <typename T>
  static const char* type_name() {
    if constexpr (std::is_same_v<T, bool>) return "a boolean";
    else if constexpr (std::is_integral_v<T>) return "an integer";
    else if constexpr (std::is_floating_point_v<T>) return "a number";
    else return "a string";
  }
  YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> used_;
};

}  // namespace bitblock::detail
