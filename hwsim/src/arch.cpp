#include "bitblock/hwsim/arch.hpp"

#include <algorithm>

#include "bitblock/common/error.hpp"
#include "bitblock/hwsim/sram.hpp"
#include "yaml_util.hpp"

namespace bitblock::hwsim {

namespace {

bool has(const YAML::Node& n, const char* key) { return static_cast<bool>(n[key]); }

bool get_bool(const YAML::Node& n, const std::string& key, const std::string& file, const std::string& prefix) {
  const std::string k = prefix.empty() ? key : prefix + "." + key;
  try {
    return n[key].as<bool>();
  } catch (const YAML::Exception&) {
    fail_input(file, k + ": expected true or false");
  }
}

IdleMode parse_idle(const std::string& v, const std::string& file, const std::string& key) {
  if (v == "on") return IdleMode::On;
  if (v == "retention") return IdleMode::Retention;
  if (v == "power_gate") return IdleMode::PowerGate;
  fail_input(file, key + ": '" + v + "' is not on, retention or power_gate");
}

SramSpec load_sram(const YAML::Node& root, const std::string& key, const std::string& file) {
  const YAML::Node n = child(root, key, file, "");
  check_keys(n, {"banks", "macros_per_bank", "word_bits", "capacity_bytes", "cell_type", "idle"}, file, key);
  SramSpec s;
  s.banks = static_cast<int>(get_int(n, "banks", file, key, 1, 64));
  s.word_bits = static_cast<int>(get_int(n, "word_bits", file, key, 1, 1024));
  s.capacity_bytes = get_int(n, "capacity_bytes", file, key, 64, int64_t{1} << 30);
  if (has(n, "macros_per_bank")) s.macros_per_bank = static_cast<int>(get_int(n, "macros_per_bank", file, key, 1, 1024));
  if (has(n, "cell_type")) s.cell_type = get_string(n, "cell_type", file, key);
  if (has(n, "idle")) s.idle = parse_idle(get_string(n, "idle", file, key), file, key + ".idle");
  return s;
}

bool sram_cell(const std::string& c) { return c == "itrs-lop" || c == "itrs-lstp"; }

void check_sram(const SramSpec& s, const std::string& key, const std::string& where) {
  if (s.banks < 1 || s.banks > 64) fail_input(where, key + ".banks: " + std::to_string(s.banks) + " outside 1 .. 64");
  if (s.macros_per_bank < 1 || s.macros_per_bank > 1024)
    fail_input(where, key + ".macros_per_bank: " + std::to_string(s.macros_per_bank) + " outside 1 .. 1024");
  if (s.word_bits < 1 || s.word_bits > 1024)
    fail_input(where, key + ".word_bits: " + std::to_string(s.word_bits) + " outside 1 .. 1024");
  if (s.capacity_bytes < 64 || s.capacity_bytes > (int64_t{1} << 30))
    fail_input(where, key + ".capacity_bytes: " + std::to_string(s.capacity_bytes) + " outside 64 .. 1073741824");
  if (s.capacity_bytes < 1 || s.capacity_bytes % s.macros() != 0)
    fail_input(where, key + ".capacity_bytes: must be a positive multiple of banks x macros_per_bank (" +
                          std::to_string(s.macros()) + ")");
  if (s.macro_bytes() * 8 < s.word_bits) fail_input(where, key + ": a macro is smaller than one word");
  if (!s.cell_type.empty() && !sram_cell(s.cell_type))
    fail_input(where, key + ".cell_type: '" + s.cell_type + "' is not itrs-lop or itrs-lstp");
}

int bits_for(int64_t values) {  // bits to index `values` distinct values (>= 1)
  int b = 1;
  while ((int64_t{1} << b) < values) ++b;
  return b;
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

const std::string& cell_of(const Arch& a, const SramSpec& s) { return s.cell_type.empty() ? a.cell_type : s.cell_type; }

const char* idle_name(IdleMode m) {
  return m == IdleMode::On ? "on" : m == IdleMode::Retention ? "retention" : "power_gate";
}

const char* multiplier_name(Multiplier m) { return m == Multiplier::ShiftAdd ? "shift_add" : "array"; }

const char* zero_gating_name(ZeroGating g) {
  return g == ZeroGating::None ? "none" : g == ZeroGating::ClockGate ? "clock_gate" : "skip";
}

void validate_arch(const Arch& a, const std::string& where) {
  // The same ranges load_arch reads with, so that an architecture changed in memory (a --sweep
  // point, a sensitivity lever) is held to what a file may say.
  if (a.lanes < 1 || a.lanes > 4096) fail_input(where, "lanes: " + std::to_string(a.lanes) + " outside 1 .. 4096");
  // Beyond these the clock and supply models say nothing physical (a 40nm core device's oxide
  // breaks down well below 2 V; below 1 kHz leakage is all there is), and the report's
  // arithmetic would overflow.
  char buf[96];
  if (!(a.clock_mhz >= 1e-3 && a.clock_mhz <= 1e5)) {
    std::snprintf(buf, sizeof buf, "clock_mhz: %g is outside 0.001 .. 100000 MHz", a.clock_mhz);
    fail_input(where, buf);
  }
  if (!(a.supply_v > 0 && a.supply_v <= 2.0)) {
    std::snprintf(buf, sizeof buf, "supply_v: %g V is outside 0 .. 2 V", a.supply_v);
    fail_input(where, buf);
  }
  if (!sram_cell(a.cell_type)) fail_input(where, "cell_type: '" + a.cell_type + "' is not itrs-lop or itrs-lstp");
  if (a.logic_cell_type != "hp" && !sram_cell(a.logic_cell_type))
    fail_input(where, "logic_cell_type: '" + a.logic_cell_type + "' is not hp, itrs-lop or itrs-lstp");
  if (a.max_weight_bits < 1 || a.max_weight_bits > 8) fail_input(where, "max_weight_bits: must be 1..8");
  if (a.max_act_bits < 1 || a.max_act_bits > 16) fail_input(where, "max_act_bits: must be 1..16");
  if (a.accumulator_bits < 8 || a.accumulator_bits > 32) fail_input(where, "accumulator_bits: must be 8..32");
  if (a.accumulators < 1 || a.accumulators > (1 << 20))
    fail_input(where, "accumulators: " + std::to_string(a.accumulators) + " outside 1 .. 1048576");
  if (a.positions_per_pass < 1 || a.positions_per_pass > (1 << 16))
    fail_input(where, "positions_per_pass: " + std::to_string(a.positions_per_pass) + " outside 1 .. 65536");
  if (a.control_overhead < 0 || a.control_overhead > 1) fail_input(where, "control_overhead: must be 0..1");
  check_sram(a.weight_sram, "weight_sram", where);
  check_sram(a.index_sram, "index_sram", where);
  check_sram(a.param_sram, "param_sram", where);
  check_sram(a.act_sram, "act_sram", where);
}

Arch load_arch(const std::string& path) {
  const YAML::Node root = load_yaml(path);
  check_keys(root,
             {"name", "clock_mhz", "supply_v", "cell_type", "logic_cell_type", "lanes", "max_weight_bits",
              "max_act_bits", "accumulator_bits", "accumulators", "positions_per_pass", "control_overhead",
              "clock_gating", "multiplier", "input_buffer", "zero_gating",
              "weight_sram", "index_sram", "param_sram", "act_sram"},
             path, "");
  Arch a;
  a.source = path;
  a.name = get_string(root, "name", path, "");
  a.clock_mhz = get_positive(root, "clock_mhz", path, "");
  a.supply_v = get_positive(root, "supply_v", path, "");
  a.cell_type = get_string(root, "cell_type", path, "");
  if (has(root, "logic_cell_type")) a.logic_cell_type = get_string(root, "logic_cell_type", path, "");
  a.lanes = static_cast<int>(get_int(root, "lanes", path, "", 1, 4096));
  a.max_weight_bits = static_cast<int>(get_int(root, "max_weight_bits", path, "", 1, 8));
  a.max_act_bits = static_cast<int>(get_int(root, "max_act_bits", path, "", 1, 16));
  a.accumulator_bits = static_cast<int>(get_int(root, "accumulator_bits", path, "", 8, 32));
  a.accumulators = static_cast<int>(get_int(root, "accumulators", path, "", 1, 1 << 20));
  a.control_overhead = get_number(root, "control_overhead", path, "", 0.0, 1.0);
  if (has(root, "positions_per_pass"))
    a.positions_per_pass = static_cast<int>(get_int(root, "positions_per_pass", path, "", 1, 1 << 16));
  if (has(root, "clock_gating")) a.clock_gating = get_bool(root, "clock_gating", path, "");
  if (has(root, "input_buffer")) a.input_buffer = get_bool(root, "input_buffer", path, "");
  if (has(root, "multiplier")) {
    const std::string m = get_string(root, "multiplier", path, "");
    if (m == "shift_add") {
      a.multiplier = Multiplier::ShiftAdd;
    } else if (m == "array") {
      a.multiplier = Multiplier::Array;
    } else {
      fail_input(path, "multiplier: '" + m + "' is not shift_add or array");
    }
  }
  if (has(root, "zero_gating")) {
    const std::string g = get_string(root, "zero_gating", path, "");
    if (g == "none") {
      a.zero_gating = ZeroGating::None;
    } else if (g == "clock_gate") {
      a.zero_gating = ZeroGating::ClockGate;
    } else if (g == "skip") {
      a.zero_gating = ZeroGating::Skip;
    } else {
      fail_input(path, "zero_gating: '" + g + "' is not none, clock_gate or skip");
    }
  }
  a.weight_sram = load_sram(root, "weight_sram", path);
  a.index_sram = load_sram(root, "index_sram", path);
  a.param_sram = load_sram(root, "param_sram", path);
  a.act_sram = load_sram(root, "act_sram", path);
  validate_arch(a, path);
  return a;
}

StageStorage stage_storage(const model::Network& net, size_t k) {
  const model::Stage& s = net.stages[k];
  const kernels::BsrLayout& l = s.weights.layout;
  StageStorage st;
  st.weight_bits = l.kept_blocks() * l.block_elems() * s.weights.bits;
  if (l.kept_blocks() < l.num_block_rows() * l.num_block_cols()) {
    st.index_col_bits = bits_for(l.num_block_cols());
    st.index_ptr_bits = bits_for(l.kept_blocks() + 1);
    st.index_bits = l.kept_blocks() * st.index_col_bits + (l.num_block_rows() + 1) * st.index_ptr_bits;
  }
  st.param_bits = l.rows * 96;
  if (k == 0) {
    st.input_code_bits = 8;
    st.mult_act_bits = net.input_mode == model::InputMode::Pixel ? 8 : 9;
  } else {
    st.input_code_bits = net.stages[k - 1].act_bits;
    st.mult_act_bits = st.input_code_bits;
  }
  st.input_bits = s.input.size() * st.input_code_bits;
  st.output_bits = k + 1 == net.stages.size() ? 0 : s.output_shape().size() * s.act_bits;
  return st;
}

void check_model_fits(const Arch& a, const model::Network& net) {
  const std::string& f = a.source.empty() ? a.name : a.source;
  struct Mem {
    const char* key;
    const SramSpec* spec;
    int64_t StageStorage::*bits;
    const char* what;
  };
  const Mem mems[] = {{"weight_sram", &a.weight_sram, &StageStorage::weight_bits, "weight SRAM"},
                      {"index_sram", &a.index_sram, &StageStorage::index_bits, "index SRAM"},
                      {"param_sram", &a.param_sram, &StageStorage::param_bits, "parameter SRAM"}};
  for (const Mem& m : mems) {
    // Each stage's stream starts on a full row of banks.
    const int64_t row_bits = int64_t{m.spec->banks} * m.spec->word_bits;
    int64_t need_bits = 0;
    for (size_t k = 0; k < net.stages.size(); ++k) need_bits += round_up(stage_storage(net, k).*(m.bits), row_bits);
    const int64_t need = need_bits / 8;
    if (need > m.spec->capacity_bytes) {
      int64_t acc = 0;
      size_t k = 0;
      for (; k < net.stages.size(); ++k) {
        acc += round_up(stage_storage(net, k).*(m.bits), row_bits);
        if (acc / 8 > m.spec->capacity_bytes) break;
      }
      fail_input(f, std::string(m.key) + ".capacity_bytes: " + m.what + " holds " + std::to_string(m.spec->capacity_bytes) +
                        " bytes, model needs " + std::to_string(need) + " bytes (stage " + std::to_string(k) +
                        "): set " + m.key + ".capacity_bytes >= " + std::to_string(round_up(need, m.spec->macros())));
    }
  }
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const model::Stage& s = net.stages[k];
    const StageStorage st = stage_storage(net, k);
    const std::string sk = " (stage " + std::to_string(k) + " " + s.name + ")";
    const int64_t act_need = (std::max(st.input_bits, st.output_bits) + 7) / 8;
    if (act_need > a.act_sram.capacity_bytes)
      fail_input(f, "act_sram.capacity_bytes: each activation SRAM half holds " + std::to_string(a.act_sram.capacity_bytes) +
                        " bytes, model needs " + std::to_string(act_need) + " bytes" + sk +
                        ": set act_sram.capacity_bytes >= " + std::to_string(round_up(act_need, a.act_sram.macros())));
    // A word holds at least one whole code: the lanes take whole codes from one read.
    auto narrow = [&](const char* key, int word_bits, int code_bits, const std::string& what) {
      if (word_bits < code_bits)
        fail_input(f, std::string(key) + ".word_bits: " + std::to_string(word_bits) +
                          "-bit words are narrower than one " + std::to_string(code_bits) + "-bit " + what + sk);
    };
    narrow("weight_sram", a.weight_sram.word_bits, s.weights.bits, "weight code");
    narrow("index_sram", a.index_sram.word_bits, std::max(st.index_col_bits, st.index_ptr_bits), "index entry");
    narrow("param_sram", a.param_sram.word_bits, 32, "requantization multiplier");
    narrow("act_sram", a.act_sram.word_bits, st.input_code_bits, "input code");
    if (st.output_bits > 0) narrow("act_sram", a.act_sram.word_bits, s.act_bits, "output code");
    if (s.weights.bits > a.max_weight_bits)
      fail_input(f, "max_weight_bits: " + std::to_string(a.max_weight_bits) + " < the model's " +
                        std::to_string(s.weights.bits) + "-bit weights" + sk);
    if (st.mult_act_bits > a.max_act_bits)
      fail_input(f, "max_act_bits: " + std::to_string(a.max_act_bits) + " < the model's " +
                        std::to_string(st.mult_act_bits) + "-bit activations" + sk);
    const int64_t group = std::min<int64_t>(a.positions_per_pass, s.positions());
    if (s.weights.layout.block_rows * group > a.accumulators)
      fail_input(f, "accumulators: " + std::to_string(a.accumulators) + " < block height " +
                        std::to_string(s.weights.layout.block_rows) +
                        (group > 1 ? " x " + std::to_string(group) + " positions per pass" : std::string()) + sk);
  }
  // The widest sum over all stages, so one error says the width that fits the whole model.
  int64_t widest = 0;
  size_t widest_stage = 0;
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const int64_t bound = model::accumulator_bound(net.stages[k], model::stage_input_range(net, k));
    if (bound > widest) {
      widest = bound;
      widest_stage = k;
    }
  }
  int need_bits = 1;
  while (need_bits < 32 && (int64_t{1} << (need_bits - 1)) - 1 < widest) ++need_bits;
  if (need_bits > a.accumulator_bits)
    fail_input(f, "accumulator_bits: " + std::to_string(a.accumulator_bits) + " bits cannot hold |acc| up to " +
                      std::to_string(widest) + " (stage " + std::to_string(widest_stage) + " " +
                      net.stages[widest_stage].name + "): set accumulator_bits >= " + std::to_string(need_bits));
  // Power gating loses a macro's data: only macros holding nothing live may be gated.
  const std::vector<StageUse> use = sram_use(a, net);
  struct Gated {
    const char* key;
    const SramSpec* spec;
    MemoryUse StageUse::*use;
    const char* what;
  };
  const Gated gated[] = {{"weight_sram", &a.weight_sram, &StageUse::weight, "weights"},
                         {"index_sram", &a.index_sram, &StageUse::index, "block indices"},
                         {"param_sram", &a.param_sram, &StageUse::param, "requantization parameters"}};
  for (const Gated& g : gated) {
    if (g.spec->idle != IdleMode::PowerGate) continue;
    for (size_t k = 0; k < use.size(); ++k) {
      const MemoryUse& u = use[k].*(g.use);
      if (u.idle_live > 0)
        fail_input(f, std::string(g.key) + ".idle: power_gate would lose live data: macro " +
                          std::to_string(u.first_live_idle) + " of each bank holds " + g.what +
                          " of another stage while stage " + std::to_string(k) + " (" + net.stages[k].name +
                          ") runs (use retention)");
    }
  }
}

}  // namespace bitblock::hwsim
