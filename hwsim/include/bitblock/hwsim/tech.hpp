#pragma once
// Technology figures (tech/40nm.yaml): a CACTI SRAM table interpolated to any macro size, the
// CACTI device flavours behind it (supply, threshold, on/off current), the supply and delay
// models, and small-operand logic energies built from full-adder cells.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bitblock::hwsim {

struct SramPoint {
  double capacity_bytes = 0, width_bits = 0;
  std::string cell_type;
  double read_pj = 0, write_pj = 0, leakage_mw = 0, area_mm2 = 0, cycle_ns = 0;
};

// One SRAM macro's figures at its cell flavour's nominal supply; leakage_mw = subthreshold +
// gate leakage.
struct SramMacro {
  double read_pj = 0, write_pj = 0, leakage_mw = 0, area_mm2 = 0, cycle_ns = 0;
  bool extrapolated = false;   // outside the table (the report warns)
};

// A CACTI device flavour at 40 nm: nominal supply, threshold voltage, on current and off current
// per um of nMOS width (the off current at the SRAM table's 350 K).
struct Device {
  double vdd_v = 0, vth_v = 0, ion_a_per_um = 0, ioff_a_per_um = 0;
};

// Datapath logic. Dynamic energy of adders and multipliers counts full-adder cells (fa_pj each,
// from a small-operand source at energy_node_nm and energy_vdd_v); area per full adder and per
// register bit, register write energy, leakage per um^2 and the library's clock limit come from a
// 40 nm standard-cell characterisation built on the `device` flavour.
struct LogicTech {
  double fa_pj = 0, energy_node_nm = 0, energy_vdd_v = 0;
  double node_nm = 0;                // the node this tech file describes (energies are scaled to it)
  double fa_um2 = 0, reg_bit_pj = 0, reg_bit_um2 = 0;
  double leakage_mw_per_um2 = 0;
  double fmax_mhz = 0;               // clock of the characterised library at energy_vdd_v
  std::string device;                // the flavour the characterisation used
};

// Figures used only for cross-check lines in the report.
struct CrossCheck {
  double mul8_pj = 0;                // Horowitz 45 nm: 8-bit multiply
  double add32_pj = 0, mul32_pj = 0; // Aladdin 40 nm: 32-bit units (the width-scaled model)
};

// The uncertainty band of the technology constants (tech file `band:`, band.hpp): each
// constant's low and high ends, ordered by their effect (low = less energy per classification);
// the nominal value is the one used elsewhere in the file (or the arch's, for control_overhead).
struct Range {
  double low = 0, high = 0;
  bool given = false;            // false: both ends equal the nominal value
};
struct TechBand {
  Range full_adder_pj;           // logic.full_adder_energy_pj (at energy_node_nm, energy_vdd_v)
  Range sram_energy_scale;       // factor on every SRAM read/write energy of the table (nominal 1)
  Range vmin_v;                  // sram.vmin_v: the supply floor
  bool vmin_high_cell_nominal = false;  // the high end is the arch's SRAM flavours' nominal supply
  Range alpha;                   // delay.alpha
  Range control_overhead;        // the arch's control_overhead
};

struct Tech {
  std::string source;            // the YAML file
  std::vector<SramPoint> sram;   // the CACTI table
  double sram_vmin_v = 0;        // lowest supply a 6T SRAM reads and writes at
  double retention_fraction = 0; // retention supply / nominal supply of an idle SRAM cell
  double alpha = 0;              // alpha-power-law exponent (delay ~ V / (V - Vth)^alpha)
  std::map<std::string, Device> devices;
  LogicTech logic;
  CrossCheck check;
  TechBand band;
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

// The named device flavour; InputError naming the tech file for an unknown one.
const Device& device(const Tech& t, const std::string& flavour);

// Supply models (V = the arch's supply). Dynamic energy scales with (V / V_nom)^2. Leakage keeps
// its current and scales with V / V_nom (CACTI's own model of a cell held at a lower supply).
double dynamic_scale(double v, double v_nom);
double leakage_scale(double v, double v_nom);
// Alpha-power law (Sakurai & Newton 1990): drive current ~ (V - Vth)^alpha, gate delay ~
// V / I, so the highest clock scales with (V - Vth)^alpha / V. Returns f(V) / f(v_ref); 0 at or
// below the threshold.
double speed_ratio(double v, double v_ref, double vth, double alpha);
// Highest clock (MHz) of an SRAM macro of flavour `cell` at supply v: 1 / cycle time at the
// flavour's nominal supply, scaled by speed_ratio.
double sram_fmax_mhz(const Tech& t, const SramMacro& m, const std::string& cell, double v);
// Highest clock (MHz) of the datapath logic built from `flavour` devices at supply v: the
// library's fmax_mhz at energy_vdd_v on its own device, scaled by the on current per volt
// (delay ~ C V / I_on), with I_on following the alpha-power law from each flavour's nominal.
double logic_fmax_mhz(const Tech& t, const std::string& flavour, double v);
// Logic leakage power (mW) of `um2` of datapath built from `flavour` devices at supply v: the
// library's leakage density scaled by the flavours' off-current ratio and by v / V_nom.
double logic_leakage_mw(const Tech& t, const std::string& flavour, double um2, double v);

// Energy (pJ) of one full-adder cell at supply v, scaled from the source's node by feature size
// (switched capacitance ~ feature size, Dennard et al. 1974) and from its supply by (V/V_nom)^2.
double fa_pj(const LogicTech& l, double v);
// Full-adder cells of the arithmetic, by operand width:
// a product of a k-bit weight code (sign + k-1 magnitude bits) and an a-bit activation, built as
// shift-and-add: the k-1 partial products need k-2 rows of a-bit adders; the sign is applied by
// the accumulating adder (add or subtract), so a binary (+-1) or ternary code needs no adder and
// a 1-bit (sign) activation none either.
int shift_add_fa(int weight_bits, int act_bits);
// A general a x b array multiplier (b-1 rows of a-bit adders), built for the widest operands and
// active on every product.
int array_mul_fa(int a_bits, int b_bits);
// A binary adder tree summing `inputs` values of in_bits each: level l adds pairs of
// (in_bits + l - 1)-bit values, floor(n / 2) adds of a level with n values.
int64_t adder_tree_fa(int inputs, int in_bits);

}  // namespace bitblock::hwsim
