// Reading sweep files (format in sweep.hpp) and command-line overrides of a sweep.
#include <yaml-cpp/yaml.h>

#include <set>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/names.hpp"
#include "bitblock/experiments/sweep.hpp"

namespace bitblock::experiments {

namespace {

std::string yaml_text(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

// A text value of the sweep file: a scalar, else InputError naming the key.
std::string text_of(const YAML::Node& n, const std::string& source, const std::string& key) {
  if (!n.IsScalar()) fail_input(source, "key '" + key + "': expected a text, not a list or map");
  return n.as<std::string>();
}

// A grid entry: a list of values, or one scalar/map value standing for a list of one.
std::vector<std::string> as_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsSequence()) {
    for (const auto& v : n) out.push_back(yaml_text(v));
  } else {
    out.push_back(yaml_text(n));
  }
  return out;
}

KeyChoices read_choices(const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) fail_input(where, "expected a map of config keys");
  KeyChoices out;
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    out.emplace_back(key, as_list(kv.second));
    if (out.back().second.empty()) fail_input(where, "key '" + key + "': empty list");
  }
  return out;
}

GridAxis zip_axis(const KeyChoices& group, const std::string& where) {
  GridAxis axis;
  if (group.empty()) fail_input(where, "an empty group (list the keys that vary together)");
  const size_t steps = group.front().second.size();
  for (const auto& [key, values] : group) {
    if (values.size() != steps)
      fail_input(where, "key '" + key + "' has " + std::to_string(values.size()) + " values, '" + group.front().first +
                            "' has " + std::to_string(steps) + " (zipped lists need equal lengths)");
    axis.keys.push_back(key);
  }
  axis.steps.assign(steps, {});
  for (size_t s = 0; s < steps; ++s)
    for (const auto& kv : group) axis.steps[s].push_back(kv.second[s]);
  return axis;
}

// Every {placeholder} of the template must name a key the sweep varies (see sweep.hpp).
void check_name_template(const SweepSpec& s) {
  std::set<std::string> keys;
  for (const GridAxis& a : s.axes) keys.insert(a.keys.begin(), a.keys.end());
  for (const KeyChoices& inc : s.include)
    for (const auto& kv : inc) keys.insert(kv.first);
  const std::string& t = s.name_template;
  for (size_t open = t.find('{'); open != std::string::npos; open = t.find('{', open + 1)) {
    const size_t close = t.find('}', open);
    if (close == std::string::npos) fail_input(s.source, "key 'name': '{' without '}' in \"" + t + "\"");
    const std::string ph = t.substr(open + 1, close - open - 1);
    int hits = 0;
    for (const std::string& k : keys) {
      const size_t dot = k.rfind('.');
      hits += k == ph || (dot != std::string::npos && k.substr(dot + 1) == ph);
    }
    if (hits == 0) fail_input(s.source, "key 'name': {" + ph + "} is not a key the grid, zip or include sets");
    if (hits > 1) fail_input(s.source, "key 'name': {" + ph + "} matches several keys; write the full dotted key");
  }
}

}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& source, const std::string& base_dir) {
  const YAML::Node root = parse_yaml_document(text, source);
  if (!root.IsMap()) fail_input(source, "expected a map (sweep, base, grid, ...)");
  static const std::set<std::string> known = {"sweep", "base", "set", "grid", "zip", "include", "exclude", "hwsim", "name"};
  for (const auto& kv : root)
    if (!known.count(kv.first.as<std::string>()))
      fail_input(source, "key '" + kv.first.as<std::string>() +
                             "': unknown key (sweep, base, set, grid, zip, include, exclude, hwsim, name)");
  if (!root["sweep"] || !root["base"]) fail_input(source, "needs 'sweep' (a name) and 'base' (an experiment config)");
  SweepSpec s;
  s.source = source;
  s.name = text_of(root["sweep"], source, "sweep");
  if (const std::string problem = folder_name_problem(s.name); !problem.empty())
    fail_input(source, "key 'sweep': '" + printable(s.name) + "' " + problem);
  if (root["base"].IsMap()) {
    YAML::Emitter e;
    e << root["base"];
    s.base = source + ": base";
    s.base_yaml = e.c_str();
  } else {
    const std::string base = text_of(root["base"], source, "base");
    s.base = !base.empty() && base[0] == '/' ? base : base_dir + "/" + base;
    if (!file_exists(s.base)) fail_input(source, "key 'base': config file " + s.base + " not found");
    s.base_yaml = read_file(s.base);
  }
  if (root["hwsim"]) {
    if (!root["hwsim"].IsMap() || !root["hwsim"]["arch"]) fail_input(source, "key 'hwsim': expected {arch: FILE}");
    s.fixed.emplace_back("hwsim.arch", text_of(root["hwsim"]["arch"], source, "hwsim.arch"));
  }
  if (root["set"]) {
    if (!root["set"].IsMap()) fail_input(source, "key 'set': expected a map of config keys");
    for (const auto& kv : root["set"]) s.fixed.emplace_back(kv.first.as<std::string>(), yaml_text(kv.second));
  }
  if (root["grid"])
    for (const auto& [key, values] : read_choices(root["grid"], source + ": key 'grid'")) {
      GridAxis axis;
      axis.keys = {key};
      for (const std::string& v : values) axis.steps.push_back({v});
      s.axes.push_back(std::move(axis));
    }
  if (root["zip"]) {
    if (!root["zip"].IsSequence()) fail_input(source, "key 'zip': expected a list of maps (keys -> equal-length lists)");
    for (size_t i = 0; i < root["zip"].size(); ++i) {
      const std::string where = source + ": key 'zip[" + std::to_string(i) + "]'";
      s.axes.push_back(zip_axis(read_choices(root["zip"][i], where), where));
    }
  }
  std::set<std::string> varied;
  for (const GridAxis& a : s.axes)
    for (const std::string& k : a.keys)
      if (!varied.insert(k).second) fail_input(source, "key '" + k + "' is varied twice (grid/zip)");
  for (const char* list : {"include", "exclude"}) {
    if (!root[list]) continue;
    if (!root[list].IsSequence()) fail_input(source, std::string("key '") + list + "': expected a list of maps");
    auto& dst = std::string(list) == "include" ? s.include : s.exclude;
    for (size_t i = 0; i < root[list].size(); ++i)
      dst.push_back(read_choices(root[list][i], source + ": key '" + list + "[" + std::to_string(i) + "]'"));
  }
  if (root["name"]) {
    s.name_template = text_of(root["name"], source, "name");
    check_name_template(s);
  }
  return s;
}

SweepSpec load_sweep(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return parse_sweep(read_file(path), path, dir);
}

void add_overrides(SweepSpec& spec, const std::vector<std::string>& sets) {
  for (const std::string& o : sets) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) fail_input("--set " + o, "expected key=value");
    const std::string key = o.substr(0, eq);
    for (const GridAxis& a : spec.axes)
      for (const std::string& k : a.keys)
        if (k == key) fail_input("--set " + o, "'" + key + "' is a grid key of " + spec.source + "; edit its list there");
    spec.fixed.emplace_back(key, o.substr(eq + 1));
  }
}

}  // namespace bitblock::experiments
