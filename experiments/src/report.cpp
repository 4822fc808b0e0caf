#include "bitblock/experiments/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/text_escape.hpp"
#include "bitblock/common/gnuplot.hpp"
#include "bitblock/experiments/pareto.hpp"
#include "bitblock/experiments/report_tables.hpp"
#include "bitblock/framework/run_files.hpp"

namespace bitblock::experiments {

namespace {

std::string base_name(const std::string& path) {
  std::string p = path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool has(const ResultRow& r, const char* m) { return r.metrics.count(m) > 0; }

std::string fmt(double v, const char* f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::vector<int> front_by(const std::vector<ResultRow>& rows, const char* cost) {
  std::vector<CostAccuracy> pts;
  std::vector<int> index;
  for (size_t i = 0; i < rows.size(); ++i)
    if (has(rows[i], cost) && has(rows[i], "test_acc")) {
      pts.push_back({rows[i].metrics.at(cost), rows[i].metrics.at("test_acc")});
      index.push_back(static_cast<int>(i));
    }
  std::vector<int> out;
  for (int k : pareto_front(pts)) out.push_back(index[static_cast<size_t>(k)]);
  return out;
}

// The grid key that colours a scatter: the sparsity structure when every run of the sweep has
// one, else the weight precision, else none (one colour).
std::string colour_key(const std::vector<ResultRow>& rows) {
  auto ends_with = [](const std::string& k, const std::string& suffix) {
    return k.size() >= suffix.size() && k.compare(k.size() - suffix.size(), std::string::npos, suffix) == 0;
  };
  for (const char* suffix : {"structure", "weight_bits"}) {
    if (rows.empty()) break;
    for (const auto& kv : rows.front().keys) {
      if (!ends_with(kv.first, suffix)) continue;
      const bool everywhere = std::all_of(rows.begin(), rows.end(), [&](const ResultRow& r) {
        return std::any_of(r.keys.begin(), r.keys.end(), [&](const auto& o) { return o.first == kv.first; });
      });
      if (everywhere) return kv.first;
    }
  }
  return "";
}

std::string key_value(const ResultRow& r, const std::string& key) {
  for (const auto& kv : r.keys)
    if (kv.first == key) return kv.second;
  return "";
}

// Scatter of accuracy against a cost (log x): one colour per structure (or precision), the front
// as a line with its runs labelled (the table names the rest). Where the accuracies spread over
// more than two points, a second plot (<stem>_top) zooms into the top two points, where the
// paper's comparisons are decided.
void scatter_plot(const std::vector<ResultRow>& rows, const std::vector<int>& front, const char* cost,
                  const std::string& xlabel, const std::string& stem, const std::string& title,
                  std::vector<std::string>& written) {
  const std::string key = colour_key(rows);
  std::vector<std::string> groups;
  double best = -1.0, worst = 101.0;
  for (const ResultRow& r : rows)
    if (has(r, cost) && has(r, "test_acc")) {
      const std::string g = key_value(r, key);
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
      best = std::max(best, 100.0 * r.metrics.at("test_acc"));
      worst = std::min(worst, 100.0 * r.metrics.at("test_acc"));
    }
  if (groups.empty()) return;
  // A group keeps its colour across a sweep's plots: numbered among all of the sweep's runs.
  std::vector<std::string> all_groups;
  for (const ResultRow& r : rows) {
    const std::string g = key_value(r, key);
    if (std::find(all_groups.begin(), all_groups.end(), g) == all_groups.end()) all_groups.push_back(g);
  }
  auto colour = [&](const std::string& g) {
    return std::to_string(std::find(all_groups.begin(), all_groups.end(), g) - all_groups.begin() + 1);
  };
  // One gnuplot data block per group (blocks are separated by two blank lines: `index i`).
  std::string all;
  for (const std::string& g : groups) {
    for (const ResultRow& r : rows)
      if (has(r, cost) && has(r, "test_acc") && key_value(r, key) == g)
        all += fmt(r.metrics.at(cost), "%.6g") + " " + fmt(100.0 * r.metrics.at("test_acc"), "%.4f") + "\n";
    all += "\n\n";
  }
  std::string line;
  for (int i : front) {
    const ResultRow& r = rows[static_cast<size_t>(i)];
    line += fmt(r.metrics.at(cost), "%.6g") + " " + fmt(100.0 * r.metrics.at("test_acc"), "%.4f") + " " +
            gnuplot_data_field(run_label(r)) + "\n";
  }
  write_file_atomic(stem + ".dat", all);
  write_file_atomic(stem + "_front.dat", line);
  const std::string short_key = key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
  std::string points;
  for (size_t g = 0; g < groups.size(); ++g)
    points += ", " + gnuplot_quote(stem + ".dat") + " index " + std::to_string(g) + " using 1:2 with points pt 7 ps 1 lc " +
              colour(groups[g]) + " title " +
              gnuplot_quote(key.empty() ? std::string("runs") : short_key + " " + groups[g]);
  // noenhanced: names hold underscores, which enhanced text would turn into subscripts. Every
  // text from outside (paths, the sweep's name, results.csv values) is a quoted gnuplot string.
  const std::string front_file = gnuplot_quote(stem + "_front.dat");
  auto body = [&](const std::string& range, const std::string& heading) {
    return "set termoption noenhanced\nset title " + gnuplot_quote(heading) +
           "\nset logscale x\nset grid\nset xlabel " + gnuplot_quote(xlabel) +
           "\nset ylabel 'test accuracy (%)'\nset key bottom right\n" + range + "plot " + front_file +
           " using 1:2 with lines lw 2 lc rgb '#d62728' title 'Pareto front'" + points + ", " + front_file +
           " using 1:2:3 with labels offset 0.6,0.6 left font ',7' notitle\n";
  };
  auto draw = [&](const std::string& out_stem, const std::string& text) {
    if (run_gnuplot("set terminal pngcairo size 1000,650 font ',10'\nset output OUT\n" + text, out_stem + ".png"))
      written.push_back(out_stem + ".png");
    if (run_gnuplot("set terminal svg size 1000,650 font ',10'\nset output OUT\n" + text, out_stem + ".svg"))
      written.push_back(out_stem + ".svg");
  };
  draw(stem, body("", title));
  if (best - worst > 2.0)
    draw(stem + "_top", body("set yrange [" + fmt(best - 2.0, "%.2f") + ":" + fmt(best + 0.2, "%.2f") + "]\n",
                             title + " (top two points)"));
}

void memory_per_layer_plot(const std::string& sweep_dir, const std::vector<ResultRow>& rows, const std::vector<int>& runs,
                           const std::string& stem, std::vector<std::string>& written) {
  // Rows of the data file: layers; columns: runs on the front.
  std::vector<std::vector<double>> kib;  // per run, per layer
  std::vector<std::string> names, layers;
  for (int i : runs) {
    const std::string path = sweep_dir + "/" + rows[static_cast<size_t>(i)].run + "/summary.json";
    if (!file_exists(path)) continue;
    nlohmann::json s;
    try {
      s = parse_json_document(read_file(path), path);
    } catch (const InputError&) {
      continue;  // a damaged summary leaves its run out of the chart
    }
    if (!s.is_object() || !s.contains("memory")) continue;
    std::vector<double> v;
    std::vector<std::string> l;
    for (const auto& layer : s["memory"]["layers"]) {
      v.push_back(layer.value("total_bits", 0.0) / 8192.0);
      l.push_back(layer.value("kind", std::string("layer")) + std::to_string(layer.value("index", 0)));
    }
    if (layers.empty()) layers = l;
    if (l != layers) continue;  // only runs of the same network shape share a chart
    kib.push_back(v);
    names.push_back(run_label(rows[static_cast<size_t>(i)]));
  }
  if (kib.empty()) return;
  std::string data = "layer";
  for (const std::string& n : names) data += " " + gnuplot_data_field(n);
  data += "\n";
  for (size_t l = 0; l < layers.size(); ++l) {
    data += gnuplot_data_field(layers[l]);
    for (const auto& v : kib) data += " " + fmt(v[l], "%.4f");
    data += "\n";
  }
  write_file_atomic(stem + ".dat", data);
  std::string plot = "plot " + gnuplot_quote(stem + ".dat") + " using 2:xtic(1) title columnheader(2)";
  for (size_t k = 1; k < names.size(); ++k)
    plot += ", '' using " + std::to_string(k + 2) + " title columnheader(" + std::to_string(k + 2) + ")";
  const std::string body = "set termoption noenhanced\nset title 'weight memory per layer (runs on the accuracy/memory front)'\n"
                           "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8\n"
                           "set logscale y\nset ylabel 'KiB'\nset grid ytics\nset key outside right font ',8'\n" + plot + "\n";
  if (run_gnuplot("set terminal pngcairo size 1100,550 font ',10'\nset output OUT\n" + body, stem + ".png"))
    written.push_back(stem + ".png");
  if (run_gnuplot("set terminal svg size 1100,550 font ',10'\nset output OUT\n" + body, stem + ".svg"))
    written.push_back(stem + ".svg");
}

}  // namespace

std::string run_label(const ResultRow& row) {
  std::string out;
  for (const auto& [k, v] : row.keys) {
    if (!out.empty()) out += " ";
    out += v;
  }
  return out.empty() ? row.run : out;
}

ReportFiles sweep_report(const std::string& sweep_dir, const std::vector<ResultRow>& rows, const std::string& plots_dir,
                         const std::string& link_dir) {
  ReportFiles out;
  const std::string name = base_name(sweep_dir);
  make_dirs(plots_dir);
  const std::vector<int> mem_front = front_by(rows, "weight_kib");
  const std::vector<int> energy_front = front_by(rows, "energy_nj");
  const bool simulated = std::any_of(rows.begin(), rows.end(), [](const ResultRow& r) { return has(r, "energy_nj"); });

  std::string& md = out.markdown;
  double seconds = 0.0;
  for (const ResultRow& r : rows)
    if (has(r, "train_seconds")) seconds += r.metrics.at("train_seconds");
  md += "## " + markdown_cell(name) + "\n\n";
  md += std::to_string(rows.size()) + " finished runs, " + fmt(seconds / 60.0, "%.1f") +
        " minutes of training in all. Sorted by weight memory; **bold** runs are on the accuracy/memory "
        "Pareto front";
  md += simulated ? ", E marks the accuracy/energy front.\n\n" : ".\n\n";

  std::vector<int> order(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    auto kib = [&](int i) {
      auto it = rows[static_cast<size_t>(i)].metrics.find("weight_kib");
      return it == rows[static_cast<size_t>(i)].metrics.end() ? 1e300 : it->second;
    };
    return kib(a) < kib(b);
  });
  md += "| run |";
  std::vector<std::string> keys;
  if (!rows.empty())
    for (const auto& [k, v] : rows.front().keys) keys.push_back(k);
  for (const std::string& k : keys)
    md += " " + markdown_cell(k.substr(k.rfind('.') == std::string::npos ? 0 : k.rfind('.') + 1)) + " |";
  md += " test acc % | best % | integer % | weight KiB | vs float32 | train s |";
  if (simulated) md += " nJ/class. | mm2 | class./s |";
  md += "\n|---|";
  for (size_t k = 0; k < keys.size(); ++k) md += "---|";
  md += "---|---|---|---|---|---|";
  if (simulated) md += "---|---|---|";
  md += "\n";
  auto metric = [](const ResultRow& r, const char* m, const char* f, double scale) {
    auto it = r.metrics.find(m);
    return it == r.metrics.end() ? std::string("-") : fmt(it->second * scale, f);
  };
  for (int i : order) {
    const ResultRow& r = rows[static_cast<size_t>(i)];
    const bool on_front = std::find(mem_front.begin(), mem_front.end(), i) != mem_front.end();
    const bool on_energy = std::find(energy_front.begin(), energy_front.end(), i) != energy_front.end();
    const std::string run = markdown_cell(r.run);
    md += "| " + (on_front ? "**" + run + "**" : run) + (on_energy ? " E" : "") + " |";
    for (const std::string& k : keys) {
      std::string v;
      for (const auto& [rk, rv] : r.keys)
        if (rk == k) v = rv;
      md += " " + markdown_cell(v) + " |";
    }
    md += " " + metric(r, "test_acc", "%.2f", 100.0) + " | " + metric(r, "best_test_acc", "%.2f", 100.0) + " | " +
          metric(r, "integer_test_acc", "%.2f", 100.0) + " | " + metric(r, "weight_kib", "%.2f", 1.0) + " | " +
          metric(r, "reduction_vs_float32", "%.1fx", 1.0) + " | " + metric(r, "train_seconds", "%.0f", 1.0) + " |";
    if (simulated)
      md += " " + metric(r, "energy_nj", "%.1f", 1.0) + " | " + metric(r, "area_mm2", "%.3f", 1.0) + " | " +
            metric(r, "classifications_per_s", "%.0f", 1.0) + " |";
    md += "\n";
  }
  md += "\n";
  md += least_memory_markdown(rows);
  md += seed_table_markdown(rows);

  const std::string stem = plots_dir + "/" + name;
  scatter_plot(rows, mem_front, "weight_kib", "weight memory (KiB, log scale)", stem + "_acc_vs_memory",
               name + ": accuracy vs weight memory", out.plots);
  if (simulated)
    scatter_plot(rows, energy_front, "energy_nj", "energy per classification (nJ, log scale)", stem + "_acc_vs_energy",
                 name + ": accuracy vs energy (hwsim, 40nm)", out.plots);
  memory_per_layer_plot(sweep_dir, rows, mem_front, stem + "_memory_per_layer", out.plots);
  for (const std::string& p : out.plots)
    if (p.size() > 4 && p.compare(p.size() - 4, 4, ".png") == 0)
      md += "![" + base_name(p) + "](" + link_dir + "/" + base_name(p) + ")\n\n";
  if (out.plots.empty()) md += "(no plots: gnuplot is not installed)\n\n";
  return out;
}

}  // namespace bitblock::experiments
