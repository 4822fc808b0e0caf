#include "bitblock/framework/memory_report.hpp"

#include <cstdio>

namespace bitblock {

namespace {

std::string structure_label(const ConstraintSpec& s) {
  std::string out = to_string(s.structure);
  if (s.structure == Structure::Block) out += " " + std::to_string(s.block_rows) + "x" + std::to_string(s.block_cols);
  if (s.structure != Structure::None) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " 1/%g %s", s.ratio, to_string(s.selection));
    out += buf;
  }
  return out;
}

std::string kib(int64_t bits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", double(bits) / 8.0 / 1024.0);
  return buf;
}

}  // namespace

MemoryReport memory_report(Sequential& net, const Shape& input) {
  MemoryReport r;
  std::vector<Shape> shapes = net.shapes(input);
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& layer = net.layer(i);
    WeightConstraint* c = layer.constraint();
    if (!c) continue;
    LayerMemory m;
    m.index = static_cast<int>(i);
    m.kind = layer.kind();
    m.spec = c->spec();
    m.structure = structure_label(m.spec);
    m.cost = c->memory();
    // Layers report executed (kept) MACs; every weight is used once per output position.
    m.macs = layer.macs(shapes[i]);
    const int64_t positions = m.cost.kept_values > 0 ? m.macs / m.cost.kept_values : 0;
    m.dense_macs = positions * m.cost.rows * m.cost.cols;
    r.total_bits += m.cost.total_bits();
    r.value_bits += m.cost.value_bits;
    r.index_bits += m.cost.index_bits;
    r.scale_bits += m.cost.scale_bits;
    r.dense_float_bits += m.cost.dense_float_bits();
    r.macs += m.macs;
    r.dense_macs += m.dense_macs;
    r.layers.push_back(m);
  }
  return r;
}

std::string format_memory_report(const MemoryReport& r) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-5s %-7s %-11s %4s %-26s %7s %11s %9s %8s %10s %11s\n", "layer", "kind", "shape",
                "bits", "structure", "kept", "value bits", "index", "scales", "KiB", "MACs");
  out += line;
  for (const LayerMemory& m : r.layers) {
    std::string shape = std::to_string(m.cost.rows) + "x" + std::to_string(m.cost.cols);
    std::snprintf(line, sizeof line, "%-5d %-7s %-11s %4d %-26s %6.2f%% %11lld %9lld %8lld %10s %11lld\n", m.index,
                  m.kind.c_str(), shape.c_str(), m.spec.weight_bits, m.structure.c_str(),
                  100.0 * m.cost.kept_fraction(), static_cast<long long>(m.cost.value_bits),
                  static_cast<long long>(m.cost.index_bits), static_cast<long long>(m.cost.scale_bits),
                  kib(m.cost.total_bits()).c_str(), static_cast<long long>(m.macs));
    out += line;
  }
  std::snprintf(line, sizeof line,
                "total: %s KiB of weights (values %s, index %s, scales %s KiB) vs %s KiB dense float32: "
                "%.2fx smaller; %lld of %lld MACs per sample (%.2f%%)\n",
                kib(r.total_bits).c_str(), kib(r.value_bits).c_str(), kib(r.index_bits).c_str(),
                kib(r.scale_bits).c_str(), kib(r.dense_float_bits).c_str(), r.reduction(),
                static_cast<long long>(r.macs), static_cast<long long>(r.dense_macs),
                r.dense_macs ? 100.0 * double(r.macs) / double(r.dense_macs) : 0.0);
  out += line;
  return out;
}

nlohmann::json to_json(const MemoryReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerMemory& m : r.layers)
    layers.push_back({{"index", m.index}, {"kind", m.kind}, {"rows", m.cost.rows}, {"cols", m.cost.cols},
                      {"weight_bits", m.spec.weight_bits}, {"structure", to_string(m.spec.structure)},
                      {"block", {m.spec.block_rows, m.spec.block_cols}}, {"ratio", m.spec.ratio},
                      {"selection", to_string(m.spec.selection)}, {"scale", to_string(m.spec.scale)},
                      {"kept_values", m.cost.kept_values}, {"kept_fraction", m.cost.kept_fraction()},
                      {"value_bits", m.cost.value_bits}, {"index_bits", m.cost.index_bits},
                      {"scale_bits", m.cost.scale_bits}, {"total_bits", m.cost.total_bits()},
                      {"dense_float_bits", m.cost.dense_float_bits()}, {"macs", m.macs},
                      {"dense_macs", m.dense_macs}});
  return {{"layers", layers},
          {"total_bits", r.total_bits},
          {"total_kib", double(r.total_bits) / 8192.0},
          {"value_bits", r.value_bits},
          {"index_bits", r.index_bits},
          {"scale_bits", r.scale_bits},
          {"dense_float_bits", r.dense_float_bits},
          {"dense_float_kib", double(r.dense_float_bits) / 8192.0},
          {"reduction_vs_float32", r.reduction()},
          {"macs", r.macs},
          {"dense_macs", r.dense_macs}};
}

}  // namespace bitblock
