// Expanding a sweep into grid points: axis product, include points, exclusions, run names,
// and each point's config resolved through the experiment's own parser and model builder.
#include <algorithm>
#include <cctype>

#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"
#include "bitblock/common/names.hpp"
#include "bitblock/experiments/sweep.hpp"
#include "bitblock/framework/config.hpp"
#include "bitblock/framework/model_builder.hpp"

namespace bitblock::experiments {

namespace {

// Cartesian product of the axes; the first axis varies slowest.
std::vector<KeyValues> product(const std::vector<GridAxis>& axes) {
  std::vector<KeyValues> out(1);
  for (const GridAxis& axis : axes) {
    std::vector<KeyValues> next;
    for (const KeyValues& partial : out)
      for (const std::vector<std::string>& step : axis.steps) {
        KeyValues p = partial;
        for (size_t k = 0; k < axis.keys.size(); ++k) p.emplace_back(axis.keys[k], step[k]);
        next.push_back(std::move(p));
      }
    out = std::move(next);
  }
  return out;
}

// "constraints.default.weight_bits" -> "weight_bits".
std::string short_key(const std::string& key) {
  const size_t dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// A value as part of a folder name: "[8, 8]" -> "8x8", "hwsim/arch/a.yaml" -> "hwsimarcha.yaml".
std::string name_part(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') {
      out += c;
    } else if (c == ',' && !out.empty() && out.back() != 'x') {
      out += 'x';
    }
  }
  return out;
}

std::string value_of(const KeyValues& values, const std::string& placeholder) {
  for (const auto& [k, v] : values)
    if (k == placeholder || short_key(k) == placeholder) return name_part(v);
  return "";
}

std::string point_name(const SweepSpec& spec, const KeyValues& values) {
  std::string name;
  if (spec.name_template.empty()) {
    for (const auto& [k, v] : values) name += (name.empty() ? "" : "_") + short_key(k) + "-" + name_part(v);
  } else {
    const std::string& t = spec.name_template;
    for (size_t i = 0; i < t.size(); ++i) {
      const size_t close = t[i] == '{' ? t.find('}', i) : std::string::npos;
      if (close == std::string::npos) {
        name += t[i];
        continue;
      }
      name += value_of(values, t.substr(i + 1, close - i - 1));
      i = close;
    }
  }
  return name.empty() ? spec.name : name;
}

bool matches(const KeyValues& values, const KeyChoices& rule) {
  for (const auto& choice : rule) {  // (no structured binding: C++17 lambdas cannot capture one; clang refuses)
    const auto it = std::find_if(values.begin(), values.end(), [&](const auto& kv) { return kv.first == choice.first; });
    if (it == values.end() || std::find(choice.second.begin(), choice.second.end(), it->second) == choice.second.end())
      return false;
  }
  return true;
}

KeyValues sorted(KeyValues v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Memory one expanded point holds besides copies of the base config: its key/value strings, name,
// and the parsed and re-emitted config (generous: a few KiB measured on the repository's sweeps).
constexpr int64_t kGridPointBytes = 16 * 1024;

}  // namespace

std::vector<std::string> point_overrides(const SweepSpec& spec, const GridPoint& point) {
  std::vector<std::string> out;
  for (const auto& [k, v] : spec.fixed) out.push_back(k + "=" + v);
  for (const auto& [k, v] : point.values) out.push_back(k + "=" + v);
  out.push_back("name=" + point.name);
  return out;
}

int64_t grid_size(const SweepSpec& spec) {
  const std::string where = spec.source + ": key 'grid'";
  int64_t points = 1;
  for (const GridAxis& axis : spec.axes)
    points = checked_mul(points, static_cast<int64_t>(axis.steps.size()), where, "the number of grid points");
  for (const KeyChoices& inc : spec.include) {
    // An include point crosses its own lists with the axes it does not set (at most the grid).
    int64_t n = points;
    for (const auto& kv : inc) n = checked_mul(n, static_cast<int64_t>(kv.second.size()), where, "the number of grid points");
    points = checked_add(points, n, where, "the number of grid points");
  }
  return points;
}

std::vector<GridPoint> expand_grid(const SweepSpec& spec) {
  // Sized before anything is expanded: every point holds its settings and resolved config.
  const int64_t points_bound = grid_size(spec);
  const int64_t per_point = checked_add(checked_mul(static_cast<int64_t>(spec.base_yaml.size()), 4, spec.source, "the base"),
                                        kGridPointBytes, spec.source, "the base");
  check_fits_memory(checked_mul(points_bound, per_point, spec.source + ": key 'grid'", "the grid"),
                    spec.source + ": key 'grid'",
                    "expanding its " + std::to_string(points_bound) + " points (grid, zip and include lists) would");
  std::vector<KeyValues> all = product(spec.axes);
  for (const KeyChoices& inc : spec.include) {
    std::vector<GridAxis> axes;
    for (const GridAxis& axis : spec.axes) {
      const bool touched = std::any_of(axis.keys.begin(), axis.keys.end(), [&](const std::string& k) {
        return std::any_of(inc.begin(), inc.end(), [&](const auto& kv) { return kv.first == k; });
      });
      if (!touched) axes.push_back(axis);
    }
    for (const auto& [key, values] : inc) {
      GridAxis axis;
      axis.keys = {key};
      for (const std::string& v : values) axis.steps.push_back({v});
      axes.push_back(std::move(axis));
    }
    for (KeyValues& p : product(axes)) all.push_back(std::move(p));
  }
  std::vector<GridPoint> points;
  for (KeyValues& values : all) {
    if (std::any_of(spec.exclude.begin(), spec.exclude.end(), [&](const KeyChoices& r) { return matches(values, r); }))
      continue;
    // An include point that repeats an earlier point (same settings in any order) runs once.
    const KeyValues key = sorted(values);
    if (std::any_of(points.begin(), points.end(), [&](const GridPoint& q) { return sorted(q.values) == key; })) continue;
    GridPoint p;
    p.values = std::move(values);
    p.name = point_name(spec, p.values);
    // Each point's run folder sits inside the sweep folder: its name is one folder name.
    if (const std::string problem = folder_name_problem(p.name); !problem.empty())
      fail_input(spec.source, "key 'name': point " + std::to_string(points.size()) + "'s run name '" +
                                  printable(p.name) + "' " + problem);
    for (const GridPoint& q : points)
      if (q.name == p.name)
        fail_input(spec.source, "points " + std::to_string(q.index) + " and " + std::to_string(points.size()) +
                                    " are both named '" + p.name + "' (add the keys that differ to the name template)");
    p.index = static_cast<int>(points.size());
    try {
      const ExperimentConfig c = parse_config(spec.base_yaml, spec.base, point_overrides(spec, p));
      build_model(c, dataset_input(c.dataset));
      p.config_yaml = to_yaml(c);
      p.dataset = c.dataset;
      p.hwsim_arch = c.hwsim_arch;
    } catch (const InputError& e) {
      p.invalid = e.what();
    }
    points.push_back(std::move(p));
  }
  return points;
}

}  // namespace bitblock::experiments
