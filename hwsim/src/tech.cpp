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
        if (used != f[i].size() || !std::isfinite(v) || v < 0 || v > kMaxConstant) throw std::invalid_argument(f[i]);
        return v;
      } catch (const std::exception&) {
        fail_input(where, "line " + std::to_string(line_no) + ": bad number '" + f[i] + "' (expected 0 .. 1e+30)");
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

namespace {

// [45 nm, 32 nm] pair of a CACTI device parameter, blended to 40 nm.
double blended(const YAML::Node& dev, const std::string& key, double w45, const std::string& file,
               const std::string& prefix) {
  const YAML::Node v = dev[key];
  const std::string k = prefix + "." + key;
  if (!v) fail_input(file, k + ": missing key");
  if (!v.IsSequence() || v.size() != 2) fail_input(file, k + ": expected [45 nm value, 32 nm value]");
  double x[2] = {0, 0};
  for (size_t i = 0; i < 2; ++i) {
    try {
      x[i] = v[i].as<double>();
    } catch (const YAML::Exception&) {
      fail_input(file, k + ": not a number");
    }
    if (!std::isfinite(x[i]) || x[i] < kMinConstant || x[i] > kMaxConstant)
      fail_input(file, k + ": values must lie in 1e-30 .. 1e+30");
  }
  return w45 * x[0] + (1.0 - w45) * x[1];
}

// One `name: {low: x, high: y}` entry of the band; low <= nominal <= high where the nominal is
// known here (nominal < 0: checked later against the arch).
Range load_range(const YAML::Node& band, const std::string& key, double nominal, const std::string& file) {
  const std::string k = "band." + key;
  const YAML::Node n = child(band, key, file, "band");
  check_keys(n, {"low", "high"}, file, k);
  Range r;
  r.low = get_number(n, "low", file, k, 0.0, 1e6);
  r.high = get_number(n, "high", file, k, 0.0, 1e6);
  r.given = true;
  if (r.low > r.high) fail_input(file, k + ": low must not exceed high");
  if (nominal >= 0 && (r.low > nominal || r.high < nominal))
    fail_input(file, k + ": the nominal value " + std::to_string(nominal) + " lies outside low .. high");
  return r;
}

void load_band(const YAML::Node& band, const std::string& file, Tech& t) {
  check_keys(band, {"full_adder_energy_pj", "sram_access_energy_scale", "vmin_v", "alpha", "control_overhead"}, file,
             "band");
  TechBand& b = t.band;
  b.full_adder_pj = load_range(band, "full_adder_energy_pj", t.logic.fa_pj, file);
  b.sram_energy_scale = load_range(band, "sram_access_energy_scale", 1.0, file);
  b.alpha = load_range(band, "alpha", t.alpha, file);
  if (b.alpha.low < 1.0 || b.alpha.high > 2.0) fail_input(file, "band.alpha: must lie within 1 .. 2");
  b.control_overhead = load_range(band, "control_overhead", -1.0, file);
  if (b.control_overhead.high > 1.0) fail_input(file, "band.control_overhead: must lie within 0 .. 1");
  // vmin_v: high may name the cell flavour's nominal supply instead of a number.
  const YAML::Node v = child(band, "vmin_v", file, "band");
  check_keys(v, {"low", "high"}, file, "band.vmin_v");
  b.vmin_v.given = true;
  b.vmin_v.low = get_number(v, "low", file, "band.vmin_v", 0.0, 2.0);
  if (v["high"] && v["high"].IsScalar() && v["high"].Scalar() == "cell_nominal") {
    b.vmin_high_cell_nominal = true;
    b.vmin_v.high = t.sram_vmin_v;
  } else {
    b.vmin_v.high = get_number(v, "high", file, "band.vmin_v", 0.0, 2.0);
  }
  if (b.vmin_v.low > t.sram_vmin_v || b.vmin_v.high < t.sram_vmin_v)
    fail_input(file, "band.vmin_v: the nominal sram.vmin_v lies outside low .. high");
}

}  // namespace

Tech load_tech(const std::string& yaml_path) {
  const YAML::Node root = load_yaml(yaml_path);
  check_keys(root, {"sram", "devices", "delay", "logic", "cross_check", "band"}, yaml_path, "");
  Tech t;
  t.source = yaml_path;
  const YAML::Node sram = child(root, "sram", yaml_path, "");
  check_keys(sram, {"table", "vmin_v", "retention_fraction"}, yaml_path, "sram");
  const std::string table = get_string(sram, "table", yaml_path, "sram");
  const std::string dir = yaml_path.find('/') == std::string::npos ? "." : yaml_path.substr(0, yaml_path.rfind('/'));
  const std::string csv_path = table.empty() || table[0] == '/' ? table : dir + "/" + table;
  t.sram = parse_sram_csv(read_file(csv_path), csv_path);
  t.sram_vmin_v = get_constant(sram, "vmin_v", yaml_path, "sram");
  t.retention_fraction = get_number(sram, "retention_fraction", yaml_path, "sram", 0.0, 1.0);

  const YAML::Node devices = child(root, "devices", yaml_path, "");
  const double w45 = get_number(devices, "weight_45nm", yaml_path, "devices", 0.0, 1.0);
  for (const auto& kv : devices) {
    const std::string name = kv.first.as<std::string>();
    if (name == "weight_45nm") continue;
    const std::string prefix = "devices." + name;
    check_keys(kv.second, {"vdd_v", "vth_v", "ion_a_per_um", "ioff_a_per_um"}, yaml_path, prefix);
    Device d;
    d.vdd_v = blended(kv.second, "vdd_v", w45, yaml_path, prefix);
    d.vth_v = blended(kv.second, "vth_v", w45, yaml_path, prefix);
    d.ion_a_per_um = blended(kv.second, "ion_a_per_um", w45, yaml_path, prefix);
    d.ioff_a_per_um = blended(kv.second, "ioff_a_per_um", w45, yaml_path, prefix);
    if (d.vth_v >= d.vdd_v) fail_input(yaml_path, prefix + ": threshold voltage must lie below the supply");
    t.devices[name] = d;
  }

  const YAML::Node delay = child(root, "delay", yaml_path, "");
  check_keys(delay, {"alpha"}, yaml_path, "delay");
  t.alpha = get_number(delay, "alpha", yaml_path, "delay", 1.0, 2.0);

  const YAML::Node logic = child(root, "logic", yaml_path, "");
  check_keys(logic, {"full_adder_energy_pj", "energy_node_nm", "energy_vdd_v", "node_nm", "full_adder_area_um2",
                     "reg_bit_energy_pj", "reg_bit_area_um2", "leakage_mw_per_um2", "fmax_mhz", "device"},
             yaml_path, "logic");
  LogicTech& l = t.logic;
  l.fa_pj = get_constant(logic, "full_adder_energy_pj", yaml_path, "logic");
  l.energy_node_nm = get_constant(logic, "energy_node_nm", yaml_path, "logic");
  l.energy_vdd_v = get_constant(logic, "energy_vdd_v", yaml_path, "logic");
  l.node_nm = get_constant(logic, "node_nm", yaml_path, "logic");
  l.fa_um2 = get_constant(logic, "full_adder_area_um2", yaml_path, "logic");
  l.reg_bit_pj = get_constant(logic, "reg_bit_energy_pj", yaml_path, "logic");
  l.reg_bit_um2 = get_constant(logic, "reg_bit_area_um2", yaml_path, "logic");
  l.leakage_mw_per_um2 = get_constant(logic, "leakage_mw_per_um2", yaml_path, "logic");
  l.fmax_mhz = get_constant(logic, "fmax_mhz", yaml_path, "logic");
  l.device = get_string(logic, "device", yaml_path, "logic");
  if (!t.devices.count(l.device)) fail_input(yaml_path, "logic.device: '" + l.device + "' is not listed under devices");
  for (const SramPoint& p : t.sram)
    if (!t.devices.count(p.cell_type))
      fail_input(yaml_path, "devices: no entry for the SRAM table's cell type '" + p.cell_type + "'");

  const YAML::Node check = child(root, "cross_check", yaml_path, "");
  check_keys(check, {"mul8_energy_pj", "add32_energy_pj", "mul32_energy_pj"}, yaml_path, "cross_check");
  t.check.mul8_pj = get_constant(check, "mul8_energy_pj", yaml_path, "cross_check");
  t.check.add32_pj = get_constant(check, "add32_energy_pj", yaml_path, "cross_check");
  t.check.mul32_pj = get_constant(check, "mul32_energy_pj", yaml_path, "cross_check");
  if (root["band"]) load_band(child(root, "band", yaml_path, ""), yaml_path, t);
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

const Device& device(const Tech& t, const std::string& flavour) {
  const auto it = t.devices.find(flavour);
  if (it == t.devices.end()) fail_input(t.source, "no device data for flavour '" + flavour + "'");
  return it->second;
}

double dynamic_scale(double v, double v_nom) { return (v / v_nom) * (v / v_nom); }
double leakage_scale(double v, double v_nom) { return v / v_nom; }

double speed_ratio(double v, double v_ref, double vth, double alpha) {
  if (v <= vth) return 0.0;
  return (std::pow(v - vth, alpha) / v) / (std::pow(v_ref - vth, alpha) / v_ref);
}

double sram_fmax_mhz(const Tech& t, const SramMacro& m, const std::string& cell, double v) {
  const Device& d = device(t, cell);
  return 1000.0 / m.cycle_ns * speed_ratio(v, d.vdd_v, d.vth_v, t.alpha);
}

namespace {
// On current (A/um) of a flavour at supply v: its nominal I_on, alpha-power scaled.
double on_current(const Device& d, double v, double alpha) {
  if (v <= d.vth_v) return 0.0;
  return d.ion_a_per_um * std::pow((v - d.vth_v) / (d.vdd_v - d.vth_v), alpha);
}
}  // namespace

double logic_fmax_mhz(const Tech& t, const std::string& flavour, double v) {
  const Device& ref = device(t, t.logic.device);
  const Device& d = device(t, flavour);
  const double ref_drive = on_current(ref, t.logic.energy_vdd_v, t.alpha) / t.logic.energy_vdd_v;
  return t.logic.fmax_mhz * (on_current(d, v, t.alpha) / v) / ref_drive;
}

double logic_leakage_mw(const Tech& t, const std::string& flavour, double um2, double v) {
  const Device& ref = device(t, t.logic.device);
  const Device& d = device(t, flavour);
  return um2 * t.logic.leakage_mw_per_um2 * (d.ioff_a_per_um / ref.ioff_a_per_um) * leakage_scale(v, d.vdd_v);
}

double fa_pj(const LogicTech& l, double v) {
  return l.fa_pj * (l.node_nm / l.energy_node_nm) * dynamic_scale(v, l.energy_vdd_v);
}

int shift_add_fa(int weight_bits, int act_bits) {
  if (weight_bits <= 1 || act_bits <= 1) return 0;
  return std::max(0, weight_bits - 2) * act_bits;
}

int array_mul_fa(int a_bits, int b_bits) {
  if (a_bits <= 1 || b_bits <= 1) return 0;
  return (b_bits - 1) * a_bits;
}

int64_t adder_tree_fa(int inputs, int in_bits) {
  int64_t fa = 0;
  int64_t n = inputs;
  for (int level = 1; n > 1; ++level) {
    fa += n / 2 * (in_bits + level - 1);
    n = (n + 1) / 2;
  }
  return fa;
}

}  // namespace bitblock::hwsim
