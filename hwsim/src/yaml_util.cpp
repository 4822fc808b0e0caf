#include "yaml_util.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock::hwsim {

namespace {
std::string dotted(const std::string& prefix, const std::string& key) { return prefix.empty() ? key : prefix + "." + key; }

YAML::Node required(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix) {
  const YAML::Node v = node[key];
  if (!v) fail_input(file, dotted(prefix, key) + ": missing key");
  return v;
}
}  // namespace

YAML::Node load_yaml(const std::string& path) { return parse_yaml_document(read_file(path), path); }

void check_keys(const YAML::Node& node, const std::vector<std::string>& known, const std::string& file,
                const std::string& prefix) {
  if (!node.IsMap()) fail_input(file, (prefix.empty() ? std::string("top level") : prefix) + ": must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    bool ok = false;
    for (const std::string& k : known) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      fail_input(file, dotted(prefix, key) + ": unknown key (known: " + list + ")");
    }
  }
}

YAML::Node child(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix) {
  const YAML::Node v = required(node, key, file, prefix);
  if (!v.IsMap()) fail_input(file, dotted(prefix, key) + ": must be a mapping");
  return v;
}

std::string get_string(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix) {
  const YAML::Node v = required(node, key, file, prefix);
  if (!v.IsScalar()) fail_input(file, dotted(prefix, key) + ": must be a string");
  return v.as<std::string>();
}

namespace {

std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

double read_double(const YAML::Node& v, const std::string& key, const std::string& file, const std::string& prefix) {
  try {
    return v.as<double>();
  } catch (const YAML::Exception&) {
    fail_input(file, dotted(prefix, key) + ": not a number");
  }
}

}  // namespace

double get_number(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix,
                  double lo, double hi) {
  const YAML::Node v = required(node, key, file, prefix);
  const double x = read_double(v, key, file, prefix);
  if (!std::isfinite(x) || x < lo || x > hi)
    fail_input(file, dotted(prefix, key) + ": " + v.as<std::string>() + " outside " + number_text(lo) + " .. " +
                         number_text(hi));
  return x;
}

double get_positive(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix) {
  const YAML::Node v = required(node, key, file, prefix);
  const double x = read_double(v, key, file, prefix);
  if (!std::isfinite(x) || x <= 0) fail_input(file, dotted(prefix, key) + ": " + v.as<std::string>() + " must be a finite number > 0");
  return x;
}

double get_constant(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix) {
  const YAML::Node v = required(node, key, file, prefix);
  const double x = read_double(v, key, file, prefix);
  if (!std::isfinite(x) || x < kMinConstant || x > kMaxConstant)
    fail_input(file, dotted(prefix, key) + ": " + v.as<std::string>() + " must be a number in " + number_text(kMinConstant) +
                         " .. " + number_text(kMaxConstant));
  return x;
}

int64_t get_int(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix,
                int64_t lo, int64_t hi) {
  const YAML::Node v = required(node, key, file, prefix);
  int64_t x = 0;
  try {
    x = v.as<int64_t>();
  } catch (const YAML::Exception&) {
    fail_input(file, dotted(prefix, key) + ": not an integer");
  }
  if (x < lo || x > hi)
    fail_input(file, dotted(prefix, key) + ": " + std::to_string(x) + " outside " + std::to_string(lo) + " .. " +
                         std::to_string(hi));
  return x;
}

}  // namespace bitblock::hwsim
