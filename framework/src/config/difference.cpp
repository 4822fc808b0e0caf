// The first setting in which two resolved configs differ (resume and sweeps name it).
#include <yaml-cpp/yaml.h>

#include "bitblock/common/document.hpp"
#include "bitblock/framework/config.hpp"

namespace bitblock {

namespace {

std::string flow(const YAML::Node& n) {
  if (!n) return "(absent)";
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::string first_difference(const YAML::Node& a, const YAML::Node& b, const std::string& path) {
  auto at = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (a.IsMap() && b.IsMap()) {
    for (const auto& kv : a) {
      const std::string key = kv.first.Scalar();
      const std::string d = first_difference(kv.second, b[key], at(key));
      if (!d.empty()) return d;
    }
    for (const auto& kv : b)
      if (!a[kv.first.Scalar()]) return at(kv.first.Scalar()) + ": (absent) vs " + flow(kv.second);
    return "";
  }
  if (a.IsSequence() && b.IsSequence() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string d = first_difference(a[i], b[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (a && b && a.IsScalar() && b.IsScalar() && a.Scalar() == b.Scalar()) return "";
  return path + ": " + flow(a) + " vs " + flow(b);
}

}  // namespace

std::string config_difference(const ExperimentConfig& a, const ExperimentConfig& b) {
  // train.device says where a run executes, not what it computes: a run may resume elsewhere.
  ExperimentConfig b_here = b;
  b_here.device = a.device;
  return first_difference(parse_yaml_document(to_yaml(a), "resolved config"),
                          parse_yaml_document(to_yaml(b_here), "resolved config"), "");
}

}  // namespace bitblock
