#include "bitblock/experiments/report_tables.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bitblock/common/text_escape.hpp"
#include "bitblock/experiments/report.hpp"

namespace bitblock::experiments {

namespace {

bool is_seed_key(const std::string& k) { return k == "seed"; }

std::string value_of(const ResultRow& r, const std::string& key) {
  for (const auto& [k, v] : r.keys)
    if (k == key) return v;
  return "";
}

// The row's keys without the seed, in a canonical order, as one comparable string.
std::string identity_without_seed(const ResultRow& r) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& kv : r.keys)
    if (!is_seed_key(kv.first)) keys.push_back(kv);
  std::sort(keys.begin(), keys.end());
  std::string id;
  for (const auto& [k, v] : keys) id += k + "=" + v + "\n";
  return id;
}

std::string fmt(double v, const char* f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double metric_or(const ResultRow& r, const char* m, double fallback) {
  auto it = r.metrics.find(m);
  return it == r.metrics.end() ? fallback : it->second;
}

}  // namespace

std::vector<SeedGroup> seed_groups(const std::vector<ResultRow>& rows) {
  std::vector<std::string> ids;
  std::vector<SeedGroup> groups;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].metrics.count("test_acc")) continue;
    const std::string id = identity_without_seed(rows[i]);
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) {
      ids.push_back(id);
      groups.emplace_back();
      it = ids.end() - 1;
    }
    SeedGroup& g = groups[static_cast<size_t>(it - ids.begin())];
    g.runs.push_back(static_cast<int>(i));
    g.seeds.push_back(value_of(rows[i], "seed"));
  }
  std::vector<SeedGroup> out;
  for (SeedGroup& g : groups) {
    if (g.runs.size() < 2) continue;
    ResultRow named = rows[static_cast<size_t>(g.runs.front())];
    named.keys.erase(std::remove_if(named.keys.begin(), named.keys.end(),
                                    [](const auto& kv) { return is_seed_key(kv.first); }),
                     named.keys.end());
    g.label = run_label(named);
    double sum = 0.0;
    g.min_acc = 1e300;
    g.max_acc = -1e300;
    for (int i : g.runs) {
      const double a = rows[static_cast<size_t>(i)].metrics.at("test_acc");
      sum += a;
      g.min_acc = std::min(g.min_acc, a);
      g.max_acc = std::max(g.max_acc, a);
    }
    const double n = static_cast<double>(g.runs.size());
    g.mean_acc = sum / n;
    double ss = 0.0;
    for (int i : g.runs) {
      const double d = rows[static_cast<size_t>(i)].metrics.at("test_acc") - g.mean_acc;
      ss += d * d;
    }
    g.std_acc = std::sqrt(ss / (n - 1.0));
    out.push_back(std::move(g));
  }
  return out;
}

int least_memory_at(const std::vector<ResultRow>& rows, double level, const std::string& group_key,
                    const std::string& group_value) {
  int best = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ResultRow& r = rows[i];
    if (!r.metrics.count("test_acc") || !r.metrics.count("weight_kib")) continue;
    if (r.metrics.at("test_acc") < level) continue;
    if (!group_key.empty() && value_of(r, group_key) != group_value) continue;
    if (best < 0) {
      best = static_cast<int>(i);
      continue;
    }
    const ResultRow& b = rows[static_cast<size_t>(best)];
    const double kr = r.metrics.at("weight_kib"), kb = b.metrics.at("weight_kib");
    if (kr < kb || (kr == kb && r.metrics.at("test_acc") > b.metrics.at("test_acc"))) best = static_cast<int>(i);
  }
  return best;
}

std::vector<double> accuracy_levels(const std::vector<ResultRow>& rows, int count) {
  double best = -1.0;
  for (const ResultRow& r : rows) best = std::max(best, metric_or(r, "test_acc", -1.0));
  std::vector<double> levels;
  if (best < 0.0) return levels;
  // Half points in percent, computed in integers so 98.5 is exactly the level asked for.
  const long top = static_cast<long>(std::floor(best * 200.0 + 1e-9));
  for (int i = 0; i < count && top - i >= 0; ++i) levels.push_back(static_cast<double>(top - i) / 200.0);
  return levels;
}

std::string structure_key(const std::vector<ResultRow>& rows) {
  for (const ResultRow& r : rows)
    for (const auto& [k, v] : r.keys) {
      const std::string suffix = ".structure";
      if (k == "structure" || (k.size() > suffix.size() && k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0))
        return k;
    }
  return "";
}

std::string seed_table_markdown(const std::vector<ResultRow>& rows) {
  const std::vector<SeedGroup> groups = seed_groups(rows);
  if (groups.empty()) return "";
  std::string md =
      "Runs that differ only in their seed (a run without a `seed` key ran the base config's seed): test "
      "accuracy as mean, sample standard deviation and range.\n\n"
      "| configuration | runs (seeds) | mean test acc % | std (points) | min % | max % | weight KiB |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const SeedGroup& g : groups) {
    std::string seeds;
    for (const std::string& s : g.seeds) seeds += (seeds.empty() ? "" : ", ") + (s.empty() ? std::string("base") : s);
    md += "| " + markdown_cell(g.label) + " | " + std::to_string(g.runs.size()) + " (" + markdown_cell(seeds) + ") | " +
          fmt(100.0 * g.mean_acc, "%.2f") + " | " + fmt(100.0 * g.std_acc, "%.2f") + " | " +
          fmt(100.0 * g.min_acc, "%.2f") + " | " + fmt(100.0 * g.max_acc, "%.2f") + " | " +
          fmt(metric_or(rows[static_cast<size_t>(g.runs.front())], "weight_kib", 0.0), "%.2f") + " |\n";
  }
  return md + "\n";
}

std::string least_memory_markdown(const std::vector<ResultRow>& rows) {
  const std::vector<double> levels = accuracy_levels(rows, 4);
  if (levels.empty()) return "";
  const std::string key = structure_key(rows);
  std::vector<std::string> values;
  if (!key.empty())
    for (const ResultRow& r : rows) {
      const std::string v = value_of(r, key);
      if (!v.empty() && std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
    }
  auto cell = [&](int i) {
    if (i < 0) return std::string("-");
    const ResultRow& r = rows[static_cast<size_t>(i)];
    return markdown_cell(r.run) + ": " + fmt(r.metrics.at("weight_kib"), "%.2f") + " KiB (" +
           fmt(100.0 * r.metrics.at("test_acc"), "%.2f") + "%)";
  };
  std::string md = "Least weight memory that reaches each test-accuracy level (single runs)";
  md += key.empty() ? ".\n\n| level | least memory |\n|---|---|\n"
                    : ", overall and per `" + markdown_cell(key) + "`.\n\n| level | least memory |";
  if (!key.empty()) {
    for (const std::string& v : values) md += " " + markdown_cell(v) + " |";
    md += "\n|---|---|";
    for (size_t k = 0; k < values.size(); ++k) md += "---|";
    md += "\n";
  }
  for (double level : levels) {
    md += "| >= " + fmt(100.0 * level, "%.1f") + "% | " + cell(least_memory_at(rows, level, "", "")) + " |";
    for (const std::string& v : values) md += " " + cell(least_memory_at(rows, level, key, v)) + " |";
    md += "\n";
  }
  return md + "\n";
}

}  // namespace bitblock::experiments
