#include "bitblock/hwsim/tech.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "yaml_util.hpp"

namespace bitblock::hwsim {

std::vector<SramPoint> parse_sram_csv(const std::string& text, const std::string& where) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  std::vector<SramPoint> pts;
  const std::string header =
      "capacity_bytes,width_bits,cell_type,read_energy_pj,write_energy_pj,leakage_mw,gate_leakage_mw,area_mm2,"
      "access_time_ns,cycle_time_ns";
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line_no == 1) {
      if (line != header) fail_input(where, "line 1: expected the header '" + header + "'");
      continue;
    }
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (f.size() != 10) fail_input(where, "line " + std::to_string(line_no) + ": expected 10 fields");
    auto num = [&](size_t i) {
      try {
        size_t used = 0;
        const double v = std::stod(f[i], &used);
        if (used != f[i].size() || !std::isfinite(v) || v < 0) throw std::invalid_argument(f[i]);
        return v;
      } catch (const std::exception&) {
        fail_input(where, "line " + std::to_string(line_no) + ": bad number '" + f[i] + "'");
      }
    };
    SramPoint p;
    p.capacity_bytes = num(0);
    p.width_bits = num(1);
    p.cell_type = f[2];
    p.read_pj = num(3);
    p.write_pj = num(4);
    p.leakage_mw = num(5) + num(6);
    p.area_mm2 = num(7);
    p.cycle_ns = num(9);
    if (p.capacity_bytes <= 0 || p.width_bits <= 0) fail_input(where, "line " + std::to_string(line_no) + ": empty macro");
    pts.push_back(p);
  }
  if (pts.empty()) fail_input(where, "no SRAM data rows");
  return pts;
}

Tech load_tech(const std::string& yaml_path) {
  const YAML::Node root = load_yaml(yaml_path);
  check_keys(root, {"sram", "logic", "reference_45nm"}, yaml_path, "");
  Tech t;
  t.source = yaml_path;
  const YAML::Node sram = child(root, "sram", yaml_path, "");
  check_keys(sram, {"table"}, yaml_path, "sram");
  const std::string table = get_string(sram, "table", yaml_path, "sram");
  const std::string dir = yaml_path.find('/') == std::string::npos ? "." : yaml_path.substr(0, yaml_path.rfind('/'));
  const std::string csv_path = table.empty() || table[0] == '/' ? table : dir + "/" + table;
  t.sram = parse_sram_csv(read_file(csv_path), csv_path);
  const YAML::Node logic = child(root, "logic", yaml_path, "");
  check_keys(logic, {"add32_energy_pj", "add32_area_um2", "mul32_energy_pj", "mul32_area_um2", "reg_bit_energy_pj",
                     "reg_bit_area_um2"},
             yaml_path, "logic");
  t.logic.add32_pj = get_positive(logic, "add32_energy_pj", yaml_path, "logic");
  t.logic.add32_um2 = get_positive(logic, "add32_area_um2", yaml_path, "logic");
  t.logic.mul32_pj = get_positive(logic, "mul32_energy_pj", yaml_path, "logic");
  t.logic.mul32_um2 = get_positive(logic, "mul32_area_um2", yaml_path, "logic");
  t.logic.reg_bit_pj = get_positive(logic, "reg_bit_energy_pj", yaml_path, "logic");
  t.logic.reg_bit_um2 = get_positive(logic, "reg_bit_area_um2", yaml_path, "logic");
  const YAML::Node ref = child(root, "reference_45nm", yaml_path, "");
  check_keys(ref, {"add8_energy_pj", "mul8_energy_pj", "add32_energy_pj", "mul32_energy_pj"}, yaml_path,
             "reference_45nm");
  t.ref45.add8_pj = get_positive(ref, "add8_energy_pj", yaml_path, "reference_45nm");
  t.ref45.mul8_pj = get_positive(ref, "mul8_energy_pj", yaml_path, "reference_45nm");
  t.ref45.add32_pj = get_positive(ref, "add32_energy_pj", yaml_path, "reference_45nm");
  t.ref45.mul32_pj = get_positive(ref, "mul32_energy_pj", yaml_path, "reference_45nm");
  return t;
}

namespace {

SramMacro lerp(const SramMacro& a, const SramMacro& b, double f) {
  SramMacro m;
  m.read_pj = a.read_pj + (b.read_pj - a.read_pj) * f;
  m.write_pj = a.write_pj + (b.write_pj - a.write_pj) * f;
  m.leakage_mw = a.leakage_mw + (b.leakage_mw - a.leakage_mw) * f;
  m.area_mm2 = a.area_mm2 + (b.area_mm2 - a.area_mm2) * f;
  m.cycle_ns = a.cycle_ns + (b.cycle_ns - a.cycle_ns) * f;
  m.extrapolated = a.extrapolated || b.extrapolated || f < 0.0 || f > 1.0;
  return m;
}

SramMacro from_point(const SramPoint& p) {
  SramMacro m;
  m.read_pj = p.read_pj;
  m.write_pj = p.write_pj;
  m.leakage_mw = p.leakage_mw;
  m.area_mm2 = p.area_mm2;
  m.cycle_ns = p.cycle_ns;
  return m;
}

// The two keys bracketing x (or the nearest two when outside), and x's fraction between them.
void bracket(const std::vector<double>& keys, double x, double& lo, double& hi) {
  if (keys.size() == 1) {
    lo = hi = keys[0];
    return;
  }
  auto it = std::lower_bound(keys.begin(), keys.end(), x);
  if (it != keys.end() && *it == x) {
    lo = hi = x;
    return;
  }
  if (it == keys.begin()) ++it;
  if (it == keys.end()) --it;
  lo = *(it - 1);
  hi = *it;
}

// Macro at one table capacity, interpolated in width.
SramMacro at_capacity(const std::vector<const SramPoint*>& rows, double width) {
  std::vector<double> widths;
  for (const SramPoint* p : rows) widths.push_back(p->width_bits);
  std::sort(widths.begin(), widths.end());
  double lo = 0, hi = 0;
  bracket(widths, width, lo, hi);
  auto find = [&](double w) {
    for (const SramPoint* p : rows)
      if (p->width_bits == w) return from_point(*p);
    return SramMacro{};
  };
  SramMacro a = find(lo);
  if (lo == hi) {
    a.extrapolated = width != lo;
    return a;
  }
  return lerp(a, find(hi), (width - lo) / (hi - lo));
}

}  // namespace

SramMacro sram_macro(const Tech& t, double capacity_bytes, double width_bits, const std::string& cell_type) {
  std::map<double, std::vector<const SramPoint*>> by_cap;
  for (const SramPoint& p : t.sram)
    if (p.cell_type == cell_type) by_cap[p.capacity_bytes].push_back(&p);
  if (by_cap.empty()) fail_input(t.source, "no SRAM data for cell type '" + cell_type + "'");
  std::vector<double> caps;
  for (const auto& kv : by_cap) caps.push_back(kv.first);
  double lo = 0, hi = 0;
  bracket(caps, capacity_bytes, lo, hi);
  SramMacro a = at_capacity(by_cap[lo], width_bits);
  if (lo == hi) {
    a.extrapolated = a.extrapolated || capacity_bytes != lo;
    return a;
  }
  const double f = (std::log2(capacity_bytes) - std::log2(lo)) / (std::log2(hi) - std::log2(lo));
  return lerp(a, at_capacity(by_cap[hi], width_bits), f);
}

double add_pj(const LogicTech& l, int bits) { return l.add32_pj * bits / 32.0; }
double add_um2(const LogicTech& l, int bits) { return l.add32_um2 * bits / 32.0; }
double mul_pj(const LogicTech& l, int a_bits, int b_bits) {
  return a_bits <= 1 || b_bits <= 1 ? 0.0 : l.mul32_pj * a_bits * b_bits / 1024.0;
}
double mul_um2(const LogicTech& l, int a_bits, int b_bits) {
  return a_bits <= 1 || b_bits <= 1 ? 0.0 : l.mul32_um2 * a_bits * b_bits / 1024.0;
}
double ref_add_pj(const Reference45& r, int bits) { return bits <= 8 ? r.add8_pj * bits / 8.0 : r.add32_pj * bits / 32.0; }
double ref_mul_pj(const Reference45& r, int a_bits, int b_bits) {
  if (a_bits <= 1 || b_bits <= 1) return 0.0;
  return a_bits <= 8 && b_bits <= 8 ? r.mul8_pj * a_bits * b_bits / 64.0 : r.mul32_pj * a_bits * b_bits / 1024.0;
}

}  // namespace bitblock::hwsim
