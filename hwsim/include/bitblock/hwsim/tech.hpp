#pragma once
// Technology figures (tech/40nm.yaml): a CACTI SRAM table interpolated to any macro size, and
// per-operation energy/area of adders, multipliers and registers scaled to the widths used.
#include <string>
#include <vector>

namespace bitblock::hwsim {

struct SramPoint {
  double capacity_bytes = 0, width_bits = 0;
  std::string cell_type;
  double read_pj = 0, write_pj = 0, leakage_mw = 0, area_mm2 = 0, cycle_ns = 0;
};

// One SRAM macro's figures; leakage_mw = subthreshold + gate leakage.
struct SramMacro {
  double read_pj = 0, write_pj = 0, leakage_mw = 0, area_mm2 = 0, cycle_ns = 0;
  bool extrapolated = false;   // outside the table (the report warns)
};

struct LogicTech {
  double add32_pj = 0, add32_um2 = 0, mul32_pj = 0, mul32_um2 = 0, reg_bit_pj = 0, reg_bit_um2 = 0;
};

struct Reference45 {
  double add8_pj = 0, mul8_pj = 0, add32_pj = 0, mul32_pj = 0;
};

struct Tech {
  std::string source;            // the YAML file
  std::vector<SramPoint> sram;   // the CACTI table
  LogicTech logic;
  Reference45 ref45;
};

// Reads the YAML and the CSV it names (relative to the YAML's folder). Unknown or missing keys,
// bad numbers and malformed CSV rows throw InputError naming the file (and key / line).
Tech load_tech(const std::string& yaml_path);
std::vector<SramPoint> parse_sram_csv(const std::string& text, const std::string& where);

// Interpolation over the table of one cell type: linear in log2(capacity) between the two
// bracketing capacities, at each linear in width between the bracketing widths; outside the
// table the nearest two points extrapolate linearly (flagged). Throws InputError for an
// unknown cell type.
SramMacro sram_macro(const Tech& t, double capacity_bytes, double width_bits, const std::string& cell_type);

// Width-scaled logic (see the YAML): adder linear in bits, multiplier quadratic; a 1-bit
// (+-1) operand makes the multiply free (the adder does add/subtract).
double add_pj(const LogicTech& l, int bits);
double add_um2(const LogicTech& l, int bits);
double mul_pj(const LogicTech& l, int a_bits, int b_bits);
double mul_um2(const LogicTech& l, int a_bits, int b_bits);
// Horowitz 45 nm cross-check: 8-bit figures scaled for widths <= 8, 32-bit ones above.
double ref_add_pj(const Reference45& r, int bits);
double ref_mul_pj(const Reference45& r, int a_bits, int b_bits);

}  // namespace bitblock::hwsim
