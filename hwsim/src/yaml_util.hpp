#pragma once
// Strict YAML reading for tech and arch files: every key known, every required key present,
// every number in range; errors name the file and the dotted key.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace bitblock::hwsim {

// parse_yaml_document's limits: depth, duplicate keys, plain-string keys, alias expansion.
YAML::Node load_yaml(const std::string& path);
// Throws InputError "<file>: <prefix>.<key>: unknown key (known: ...)" for any other key, and
// "<file>: <prefix>: must be a mapping" when node is not a map.
void check_keys(const YAML::Node& node, const std::vector<std::string>& known, const std::string& file,
                const std::string& prefix);
YAML::Node child(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix);
std::string get_string(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix);
double get_positive(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix);
// Technology constants (energies, areas, currents, voltages, sizes) lie in [kMinConstant,
// kMaxConstant]: far beyond any real technology, yet products and ratios of a few of them stay
// finite in double, so a report never shows "inf nJ" or nulls (1.7e308 pJ is not a full adder).
constexpr double kMinConstant = 1e-30, kMaxConstant = 1e30;
// A number in [kMinConstant, kMaxConstant]; InputError naming the file and the dotted key.
double get_constant(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix);
double get_number(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix,
                  double lo, double hi);
int64_t get_int(const YAML::Node& node, const std::string& key, const std::string& file, const std::string& prefix,
                int64_t lo, int64_t hi);

}  // namespace bitblock::hwsim
