#include "bitblock/common/document.hpp"

#include <cmath>
#include <set>
#include <vector>

#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {

using nlohmann::json;

std::string depth_problem() {
  return "nested deeper than " + std::to_string(kMaxDocumentDepth) + " levels";
}

// Depth, duplicate-key and size limits on a loaded YAML tree. Aliases share nodes, so a node can
// be reached many times: the budget counts visits, which is what a reader walking the tree pays.
class YamlChecker {
 public:
  explicit YamlChecker(const std::string& where) : where_(where) {}

  void check(const YAML::Node& node, int depth) {
    if (++visited_ > kMaxDocumentNodes)
      fail_input(where_, "more than " + std::to_string(kMaxDocumentNodes) + " nodes (after expanding aliases)");
    const bool container = node.IsSequence() || node.IsMap();
    if (container && depth >= kMaxDocumentDepth) fail_input(where_, line(node) + depth_problem());
    if (node.IsSequence()) {
      for (const YAML::Node& child : node) check(child, depth + 1);
    } else if (node.IsMap()) {
      std::set<std::string> keys;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) fail_input(where_, line(kv.first) + "a map key must be a plain string");
        const std::string& key = kv.first.Scalar();
        if (!keys.insert(key).second) fail_input(where_, line(kv.first) + "key '" + key + "' appears twice");
        check(kv.second, depth + 1);
      }
    }
  }

 private:
  static std::string line(const YAML::Node& node) {
    const YAML::Mark m = node.Mark();
    return m.is_null() ? std::string() : "line " + std::to_string(m.line + 1) + ": ";
  }
  const std::string& where_;
  int64_t visited_ = 0;
};

}  // namespace

json parse_json_document(std::string_view text, const std::string& where) {
  // The callback sees every container as it opens, with its depth, and every key: the limits are
  // enforced while parsing, before a deep tree exists.
  std::vector<std::set<std::string>> open_objects;
  auto limits = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxDocumentDepth) fail_input(where, depth_problem());
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end: open_objects.pop_back(); break;
      case json::parse_event_t::key:
        if (!open_objects.back().insert(parsed.get<std::string>()).second)
          fail_input(where, "key '" + parsed.get<std::string>() + "' appears twice in one object");
        break;
      default: break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), limits);
  } catch (const json::exception& e) {
    fail_input(where, std::string("invalid JSON: ") + e.what());
  }
}

YAML::Node parse_yaml_document(const std::string& text, const std::string& where) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_input(where, std::string("invalid YAML: ") + e.what());
  }
  check_yaml_document(root, where);
  return root;
}

void check_yaml_document(const YAML::Node& root, const std::string& where) { YamlChecker(where).check(root, 0); }

const json& json_field(const json& object, const std::string& key, const std::string& where) {
  if (!object.is_object()) fail_input(where, "expected a JSON object holding '" + key + "'");
  const auto it = object.find(key);
  if (it == object.end()) fail_input(where, key + ": missing");
  return *it;
}

int64_t json_int_value(const json& value, int64_t lo, int64_t hi, const std::string& where) {
  int64_t v = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) fail_input(where, std::to_string(u) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
    v = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    v = value.get<int64_t>();
  } else {
    fail_input(where, "expected an integer, found " + std::string(value.type_name()));
  }
  if (v < lo || v > hi) fail_input(where, std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

int64_t json_int(const json& object, const std::string& key, int64_t lo, int64_t hi, const std::string& where) {
  return json_int_value(json_field(object, key, where), lo, hi, where + ": " + key);
}

double json_number(const json& object, const std::string& key, const std::string& where) {
  const json& v = json_field(object, key, where);
  if (!v.is_number()) fail_input(where, key + ": expected a number, found " + std::string(v.type_name()));
  const double d = v.get<double>();
  if (!std::isfinite(d)) fail_input(where, key + ": not a finite number");
  return d;
}

std::string json_string(const json& object, const std::string& key, const std::string& where) {
  const json& v = json_field(object, key, where);
  if (!v.is_string()) fail_input(where, key + ": expected a string, found " + std::string(v.type_name()));
  return v.get<std::string>();
}

}  // namespace bitblock
