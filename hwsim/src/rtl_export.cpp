#include "bitblock/hwsim/rtl_export.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/hwsim/datapath.hpp"
#include "bitblock/model/ops.hpp"

namespace bitblock::hwsim {

namespace {

using nlohmann::json;

// A bit stream, LSB first.
struct Bits {
  std::vector<uint8_t> bits;
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bits.push_back(static_cast<uint8_t>((v >> i) & 1));
  }
};

Bits weight_stream(const model::Stage& s) {
  Bits b;
  const int64_t n = s.weights.layout.kept_blocks() * s.weights.layout.block_elems() * s.weights.bits;
  for (int64_t j = 0; j < n; ++j) b.bits.push_back(static_cast<uint8_t>((s.weights.packed[static_cast<size_t>(j / 8)] >> (j % 8)) & 1));
  return b;
}

Bits index_stream(const model::Stage& s, const StageStorage& st) {
  Bits b;
  if (st.index_bits == 0) return b;
  const kernels::BsrLayout& l = s.weights.layout;
  b.put(static_cast<uint64_t>(l.block_row_ptr[0]), st.index_ptr_bits);
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    b.put(static_cast<uint64_t>(l.block_row_ptr[static_cast<size_t>(i) + 1]), st.index_ptr_bits);
    for (int32_t k = l.block_row_ptr[static_cast<size_t>(i)]; k < l.block_row_ptr[static_cast<size_t>(i) + 1]; ++k)
      b.put(static_cast<uint64_t>(l.block_col_idx[static_cast<size_t>(k)]), st.index_col_bits);
  }
  return b;
}

Bits param_stream(const model::Stage& s) {
  Bits b;
  for (size_t c = 0; c < s.mult.size(); ++c) {
    b.put(static_cast<uint32_t>(s.mult[c]), 32);
    b.put(static_cast<uint64_t>(s.bias[c]), 64);
  }
  return b;
}

std::string hex_word(const std::vector<uint8_t>& bits, size_t first, int word_bits) {
  const int digits = (word_bits + 3) / 4;
  std::string out;
  for (int d = digits - 1; d >= 0; --d) {
    int v = 0;
    for (int i = 3; i >= 0; --i) {
      const size_t j = first + static_cast<size_t>(d * 4 + i);
      v = v * 2 + (d * 4 + i < word_bits && j < bits.size() ? bits[j] : 0);
    }
    out += "0123456789abcdef"[v];
  }
  return out;
}

// One memory: every stage's stream laid out over the banks; writes <name>_b<k>.hex and returns
// each stage's first row and word count.
json lay_out(const std::string& dir, const std::string& name, const SramSpec& spec, const std::vector<Bits>& streams) {
  const int64_t depth = spec.bank_bytes() * 8 / spec.word_bits;  // words per bank
  std::vector<std::vector<std::string>> banks(static_cast<size_t>(spec.banks),
                                              std::vector<std::string>(static_cast<size_t>(depth), std::string((spec.word_bits + 3) / 4, '0')));
  json stages = json::array();
  int64_t row = 0;
  for (const Bits& s : streams) {
    const int64_t words = (static_cast<int64_t>(s.bits.size()) + spec.word_bits - 1) / spec.word_bits;
    for (int64_t i = 0; i < words; ++i)
      banks[static_cast<size_t>(i % spec.banks)][static_cast<size_t>(row + i / spec.banks)] =
          hex_word(s.bits, static_cast<size_t>(i * spec.word_bits), spec.word_bits);
    stages.push_back({{"first_row", row}, {"words", words}, {"bits", s.bits.size()}});
    row += (words + spec.banks - 1) / spec.banks;
  }
  json files = json::array();
  for (int b = 0; b < spec.banks; ++b) {
    std::ostringstream o;
    for (const std::string& w : banks[static_cast<size_t>(b)]) o << w << "\n";
    const std::string file = name + "_b" + std::to_string(b) + ".hex";
    write_file_atomic(dir + "/" + file, o.str());
    files.push_back(file);
  }
  return {{"banks", spec.banks},
          {"word_bits", spec.word_bits},
          {"depth_per_bank", depth},
          {"macros_per_bank", spec.macros_per_bank},
          {"macro_depth", depth / spec.macros_per_bank},
          {"files", files},
          {"stages", stages}};
}

std::string hex_value(int64_t v, int bits) {
  const uint64_t u = bits == 64 ? static_cast<uint64_t>(v) : static_cast<uint64_t>(v) & ((uint64_t{1} << bits) - 1);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llx", bits / 4, static_cast<unsigned long long>(u));
  return buf;
}

const char* act_name(model::ActKind a) {
  switch (a) {
    case model::ActKind::Sign: return "sign";
    case model::ActKind::Unsigned: return "unsigned";
    case model::ActKind::Signed: return "signed";
    case model::ActKind::None: break;
  }
  return "none";
}

}  // namespace

void emit_rtl(const std::string& dir, const model::Network& net, const Arch& a, const uint8_t* images, int64_t count) {
  check_model_fits(a, net);
  make_dirs(dir);
  std::vector<Bits> w, idx, par;
  json stages = json::array();
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const model::Stage& s = net.stages[k];
    const StageStorage st = stage_storage(net, k);
    w.push_back(weight_stream(s));
    idx.push_back(index_stream(s, st));
    par.push_back(param_stream(s));
    const kernels::BsrLayout& l = s.weights.layout;
    stages.push_back({{"name", s.name},
                      {"op", s.op == model::OpKind::Dense ? "dense" : "conv"},
                      {"rows", l.rows},
                      {"cols", l.cols},
                      {"block_rows", l.block_rows},
                      {"block_cols", l.block_cols},
                      {"kept_blocks", l.kept_blocks()},
                      {"weight_bits", s.weights.bits},
                      {"index_ptr_bits", st.index_ptr_bits},
                      {"index_col_bits", st.index_col_bits},
                      {"positions", s.positions()},
                      {"activation", act_name(s.act)},
                      {"act_bits", s.act_bits},
                      {"shift", s.shift},
                      {"output_size", s.output_shape().size()},
                      {"golden", "golden_s" + std::to_string(k) + ".hex"}});
  }
  json manifest = {{"arch", a.name},
                   {"images", count},
                   {"input_size", net.input.size()},
                   {"input", "input.hex"},
                   {"input_mode", net.input_mode == model::InputMode::Pixel ? "pixel" : "centered"},
                   {"weight_sram", lay_out(dir, "weight", a.weight_sram, w)},
                   {"index_sram", lay_out(dir, "index", a.index_sram, idx)},
                   {"param_sram", lay_out(dir, "param", a.param_sram, par)},
                   {"stages", stages}};

  // Golden vectors: input codes and every stage's outputs, from the datapath replay.
  std::vector<int16_t> codes(static_cast<size_t>(count * net.input.size()));
  model::input_codes(net.input_mode, images, count * net.input.size(), codes.data());
  std::ostringstream in;
  for (int16_t c : codes) in << hex_value(c, 16) << "\n";
  write_file_atomic(dir + "/input.hex", in.str());
  std::vector<std::vector<int16_t>> outs;
  const DatapathResult d = run_datapath(net, images, count, nullptr, &outs);
  for (size_t k = 0; k < net.stages.size(); ++k) {
    std::ostringstream g;
    if (k + 1 < net.stages.size()) {
      for (int16_t c : outs[k]) g << hex_value(c, 16) << "\n";
    } else {
      for (int64_t v : d.logits) g << hex_value(v, 64) << "\n";
    }
    write_file_atomic(dir + "/golden_s" + std::to_string(k) + ".hex", g.str());
  }

  // Stage 0 for the testbench.
  const model::Stage& s = net.stages[0];
  const kernels::BsrLayout& l = s.weights.layout;
  const StageStorage st = stage_storage(net, 0);
  auto mem = [&](const char* name, const SramSpec& spec, const json& m) {
    std::ostringstream o;
    o << "localparam " << name << "_BANKS = " << spec.banks << ";\nlocalparam " << name
      << "_WORD = " << spec.word_bits << ";\nlocalparam " << name << "_DEPTH = " << m["depth_per_bank"].get<int64_t>()
      << ";\nlocalparam " << name << "_ROW0 = " << m["stages"][0]["first_row"].get<int64_t>() << ";\n";
    return o.str();
  };
  std::ostringstream p;
  p << "// Generated by bitblock hwsim --emit-rtl: stage 0 (" << s.name << ") of the model on " << a.name << ".\n";
  p << "localparam DENSE = " << (s.op == model::OpKind::Dense ? 1 : 0) << ";\n";
  p << "localparam IMAGES = " << count << ";\nlocalparam K = " << l.cols << ";\nlocalparam N = " << l.rows
    << ";\nlocalparam BR = " << l.block_rows << ";\nlocalparam BC = " << l.block_cols << ";\nlocalparam NBR = "
    << l.num_block_rows() << ";\nlocalparam NBC = " << l.num_block_cols() << ";\nlocalparam KEPT = " << l.kept_blocks()
    << ";\nlocalparam BITS = " << s.weights.bits << ";\nlocalparam INDEXED = " << (st.index_bits > 0 ? 1 : 0)
    << ";\nlocalparam PTR_BITS = " << st.index_ptr_bits << ";\nlocalparam COL_BITS = " << st.index_col_bits
    << ";\nlocalparam ACT = " << static_cast<int>(s.act) << "; // " << act_name(s.act)
    << "\nlocalparam ACT_SIGN = " << static_cast<int>(model::ActKind::Sign) << ";\nlocalparam ACT_UNSIGNED = "
    << static_cast<int>(model::ActKind::Unsigned) << ";\nlocalparam ACT_SIGNED = " << static_cast<int>(model::ActKind::Signed)
    << ";\nlocalparam ACT_BITS = " << s.act_bits << ";\nlocalparam SHIFT = " << s.shift
    << ";\nlocalparam LAST = " << (net.stages.size() == 1 ? 1 : 0) << ";\nlocalparam OUT_SIZE = " << s.output_shape().size()
    << ";\nlocalparam POOLED = " << (s.pool.active() ? 1 : 0) << ";\n";
  p << mem("W", a.weight_sram, manifest["weight_sram"]) << mem("I", a.index_sram, manifest["index_sram"])
    << mem("P", a.param_sram, manifest["param_sram"]);
  write_file_atomic(dir + "/tb_params.vh", p.str());
  write_file_atomic(dir + "/manifest.json", manifest.dump(2) + "\n");
}

}  // namespace bitblock::hwsim
