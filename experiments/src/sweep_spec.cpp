#include "bitblock/experiments/sweep.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/model_builder.hpp"

namespace bitblock::experiments {

namespace {

std::string yaml_text(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::vector<std::string> as_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsSequence()) {
    for (const auto& v : n) out.push_back(yaml_text(v));
  } else {
    out.push_back(yaml_text(n));
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> read_point_list(const YAML::Node& n,
                                                                              const std::string& where) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  if (!n.IsMap()) fail_input(where, "expected a map of config keys");
  for (const auto& kv : n) out.emplace_back(kv.first.as<std::string>(), as_list(kv.second));
  return out;
}

// "constraints.default.weight_bits" -> "weight_bits"; "[1]" parts are skipped.
std::string short_key(const std::string& key) {
  size_t dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string name_part(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') out += c;
    else if (c == ',' || c == ' ') {
      if (!out.empty() && out.back() != 'x') out += 'x';
    }
  }
  return out;
}

bool matches(const std::vector<std::pair<std::string, std::string>>& values,
             const std::vector<std::pair<std::string, std::vector<std::string>>>& rule) {
  for (const auto& [key, allowed] : rule) {
    bool hit = false;
    for (const auto& [k, v] : values)
      if (k == key)
        for (const std::string& a : allowed) hit |= (a == v);
    if (!hit) return false;
  }
  return true;
}

}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& source, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_input(source, std::string("invalid YAML: ") + e.what());
  }
  if (!root.IsMap()) fail_input(source, "expected a map (sweep, base, grid, ...)");
  SweepSpec s;
  s.source = source;
  static const std::set<std::string> known = {"sweep", "base", "set", "grid", "include", "exclude", "hwsim"};
  for (const auto& kv : root)
    if (!known.count(kv.first.as<std::string>()))
      fail_input(source, "key '" + kv.first.as<std::string>() + "': unknown key (sweep, base, set, grid, include, exclude, hwsim)");
  if (!root["sweep"] || !root["base"]) fail_input(source, "needs 'sweep' (a name) and 'base' (an experiment config)");
  s.name = root["sweep"].as<std::string>();
  const std::string base = root["base"].as<std::string>();
  s.base = !base.empty() && base[0] == '/' ? base : base_dir + "/" + base;
  if (root["set"]) {
    if (!root["set"].IsMap()) fail_input(source, "key 'set': expected a map of config keys");
    for (const auto& kv : root["set"]) s.fixed.emplace_back(kv.first.as<std::string>(), yaml_text(kv.second));
  }
  if (root["grid"]) s.grid = read_point_list(root["grid"], source + ": key 'grid'");
  for (const auto& [key, values] : s.grid)
    if (values.empty()) fail_input(source, "key 'grid." + key + "': empty list");
  for (const char* list : {"include", "exclude"}) {
    if (!root[list]) continue;
    if (!root[list].IsSequence()) fail_input(source, std::string("key '") + list + "': expected a list of maps");
    auto& dst = std::string(list) == "include" ? s.include : s.exclude;
    for (size_t i = 0; i < root[list].size(); ++i)
      dst.push_back(read_point_list(root[list][i], source + ": key '" + list + "[" + std::to_string(i) + "]'"));
  }
  if (root["hwsim"]) {
    if (!root["hwsim"].IsMap() || !root["hwsim"]["arch"]) fail_input(source, "key 'hwsim': expected {arch: FILE}");
    s.hwsim_arch = root["hwsim"]["arch"].as<std::string>();
  }
  return s;
}

SweepSpec load_sweep(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return parse_sweep(read_file(path), path, dir);
}

std::vector<std::string> point_overrides(const SweepSpec& spec, const GridPoint& point) {
  std::vector<std::string> out;
  for (const auto& [k, v] : spec.fixed) out.push_back(k + "=" + v);
  for (const auto& [k, v] : point.values) out.push_back(k + "=" + v);
  out.push_back("name=" + point.name);
  return out;
}

std::vector<GridPoint> expand_grid(const SweepSpec& spec) {
  // Cartesian product of a key list; the first key varies slowest.
  auto product = [](const std::vector<std::pair<std::string, std::vector<std::string>>>& keys) {
    std::vector<std::vector<std::pair<std::string, std::string>>> out(1);
    for (const auto& [key, values] : keys) {
      std::vector<std::vector<std::pair<std::string, std::string>>> next;
      for (const auto& partial : out)
        for (const std::string& v : values) {
          auto p = partial;
          p.emplace_back(key, v);
          next.push_back(std::move(p));
        }
      out = std::move(next);
    }
    return out;
  };
  std::vector<std::vector<std::pair<std::string, std::string>>> all = product(spec.grid);
  for (const auto& inc : spec.include) {
    std::vector<std::pair<std::string, std::vector<std::string>>> keys;
    for (const auto& [key, values] : spec.grid) {
      bool set_here = false;
      for (const auto& [k, v] : inc) set_here |= (k == key);
      if (!set_here) keys.emplace_back(key, values);
    }
    for (const auto& kv : inc) keys.push_back(kv);
    for (auto& p : product(keys)) all.push_back(std::move(p));
  }
  std::vector<GridPoint> points;
  std::set<std::string> names;
  for (auto& values : all) {
    bool excluded = false;
    for (const auto& rule : spec.exclude) excluded |= matches(values, rule);
    if (excluded) continue;
    GridPoint p;
    p.values = std::move(values);
    for (const auto& [k, v] : p.values) p.name += (p.name.empty() ? "" : "_") + short_key(k) + "-" + name_part(v);
    if (p.name.empty()) p.name = spec.name;
    if (!names.insert(p.name).second) continue;  // an include point that repeats a grid point
    p.index = static_cast<int>(points.size());
    try {
      ExperimentConfig c = load_config(spec.base, point_overrides(spec, p));
      Sequential net = build_model(c, dataset_input(c.dataset));
    } catch (const InputError& e) {
      p.invalid = e.what();
    }
    points.push_back(std::move(p));
  }
  return points;
}

}  // namespace bitblock::experiments
