#include "bitblock/model/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/checked.hpp"
#include "bitblock/common/crc32.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/kernels/codes.hpp"

namespace bitblock::model {

namespace {

using nlohmann::json;

constexpr char kMagic[4] = {'B', 'B', 'M', '1'};
constexpr int64_t kPrefixBytes = 20;  // magic, version, header length, header CRC
constexpr int64_t kAlign = 64;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

int64_t align_up(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

template <typename T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

json shape_json(const Shape& s) { return json::array({s.c, s.h, s.w}); }

// Header ints are read into int fields: anything beyond int32 is out of range here, the
// semantic limits are validate_network's.
int int_field(const json& j, const std::string& key, int64_t lo, const std::string& where) {
  return static_cast<int>(json_int(j, key, lo, kInt32Max, where));
}

Shape shape_field(const json& j, const std::string& key, const std::string& where) {
  const json& v = json_field(j, key, where);
  if (!v.is_array() || v.size() != 3) fail_input(where, key + ": expected [C, H, W]");
  const std::string w = where + ": " + key;
  return {static_cast<int>(json_int_value(v[0], 1, kInt32Max, w)), static_cast<int>(json_int_value(v[1], 1, kInt32Max, w)),
          static_cast<int>(json_int_value(v[2], 1, kInt32Max, w))};
}

std::string blob_name(size_t k, const char* field) { return "stage" + std::to_string(k) + "." + field; }

json memory_json(const StageMemory& m) {
  return {{"kept_values", m.kept_values}, {"value_bits", m.value_bits}, {"index_bits", m.index_bits},
          {"scale_bits", m.scale_bits}};
}

json stage_json(const Stage& s) {
  const kernels::BsrLayout& l = s.weights.layout;
  const StageConstraint& c = s.constraint;
  return json{{"name", s.name},
              {"op", to_string(s.op)},
              {"input", shape_json(s.input)},
              {"output", shape_json(s.output_shape())},
              {"kernel", s.kernel},
              {"stride", s.stride},
              {"padding", s.padding},
              {"weights",
               {{"rows", l.rows},
                {"cols", l.cols},
                {"block_rows", l.block_rows},
                {"block_cols", l.block_cols},
                {"bits", s.weights.bits},
                {"kept_blocks", l.kept_blocks()}}},
              {"pool", {{"size", s.pool.size}, {"stride", s.pool.stride}, {"placement", to_string(s.pool.placement)}}},
              {"activation", {{"kind", to_string(s.act)}, {"bits", s.act_bits}}},
              {"shift", s.shift},
              {"constraints",
               {{"bits", s.weights.bits},
                {"structure", to_string(c.structure)},
                {"block", {l.block_rows, l.block_cols}},
                {"ratio", c.ratio},
                {"selection", c.magnitude ? "magnitude" : "random"},
                {"scale", c.per_row_scales ? "per_row" : "per_layer"}}},
              {"memory", memory_json(stage_memory(s))}};
}

// The blobs of a file, checked against their CRCs; take() hands each to one stage field.
class Blobs {
 public:
  explicit Blobs(const std::string& where) : where_(where) {}
  void add(const std::string& name, const char* data, int64_t size) {
    if (!blobs_.emplace(name, Ref{data, size}).second) fail_input(where_, "blob '" + name + "' listed twice");
  }
  // Each byte of the data section belongs to at most one blob: two fields aliased onto the same
  // bytes (a bias read from the codes) pass every CRC and size check otherwise.
  void check_disjoint() const {
    std::vector<std::pair<const char*, std::string>> by_start;
    for (const auto& [name, ref] : blobs_)
      if (ref.size > 0) by_start.emplace_back(ref.data, name);
    std::sort(by_start.begin(), by_start.end());
    for (size_t i = 1; i < by_start.size(); ++i) {
      const Ref& prev = blobs_.at(by_start[i - 1].second);
      if (prev.data + prev.size > by_start[i].first)
        fail_input(where_, "blobs '" + by_start[i - 1].second + "' and '" + by_start[i].second + "' overlap");
    }
  }
  template <typename T>
  std::vector<T> take(const std::string& name, int64_t count) {
    const auto it = blobs_.find(name);
    if (it == blobs_.end()) fail_input(where_, "blob '" + name + "' is missing from the blob table");
    const int64_t want = checked_mul(count, static_cast<int64_t>(sizeof(T)), where_, "blob '" + name + "'");
    if (it->second.size != want)
      fail_input(where_, "blob '" + name + "' has " + std::to_string(it->second.size) +
                             " bytes, the header's shapes need " + std::to_string(want));
    used_.insert(name);
    std::vector<T> v(static_cast<size_t>(count));
    if (want > 0) std::memcpy(v.data(), it->second.data, static_cast<size_t>(want));
    return v;
  }
  // Every blob must belong to a stage: anything else was not written by serialize_model.
  void check_all_used() const {
    for (const auto& [name, ref] : blobs_)
      if (!used_.count(name)) fail_input(where_, "blob '" + name + "' belongs to no stage");
  }

 private:
  struct Ref {
    const char* data;
    int64_t size;
  };
  const std::string& where_;
  std::map<std::string, Ref> blobs_;
  std::set<std::string> used_;
};

// Codes at positions readers must ignore (ragged block edges, trailing bits of the last byte)
// must be all-zero bits: anything else means the file was not written by bsr_pack.
void check_padding_codes(const kernels::BsrWeights& w, const std::string& where, const std::string& blob) {
  const kernels::BsrLayout& l = w.layout;
  const int64_t codes = l.kept_blocks() * l.block_elems();
  const int64_t used_bits = codes * w.bits;
  if (used_bits % 8 != 0 && !w.packed.empty()) {
    const uint8_t tail = static_cast<uint8_t>(w.packed.back() >> (used_bits % 8));
    if (tail != 0) fail_input(where, "blob '" + blob + "' has nonzero bits after the last code");
  }
  const int8_t zero_code = static_cast<int8_t>(w.bits == 1 ? -1 : 0);
  std::vector<int8_t> block(static_cast<size_t>(l.block_elems()));
  for (int64_t i = 0; i < l.num_block_rows(); ++i) {
    const int nr = l.rows_in_block_row(i);
    for (int32_t b = l.block_row_ptr[i]; b < l.block_row_ptr[i + 1]; ++b) {
      const int nc = l.cols_in_block_col(l.block_col_idx[b]);
      if (nr == l.block_rows && nc == l.block_cols) continue;
      kernels::unpack_codes(w.packed.data(), static_cast<int64_t>(w.packed.size()), b * l.block_elems(),
                            l.block_elems(), w.bits, block.data());
      for (int r = 0; r < l.block_rows; ++r)
        for (int c = 0; c < l.block_cols; ++c)
          if ((r >= nr || c >= nc) && block[static_cast<size_t>(r) * l.block_cols + c] != zero_code)
            fail_input(where, "blob '" + blob + "': code outside the matrix in block " + std::to_string(b) +
                                  " is not zero (codes out of range)");
    }
  }
}

StageConstraint constraint_from(const json& j, const kernels::BsrWeights& w, const std::string& sw) {
  const std::string cw = sw + ": constraints";
  StageConstraint c;
  const int64_t bits = json_int(j, "bits", 1, 8, cw);
  if (bits != w.bits) fail_input(cw, "bits " + std::to_string(bits) + " differ from the weights' " + std::to_string(w.bits));
  c.structure = parse_sparsity(json_string(j, "structure", cw), cw + ".structure");
  const json& block = json_field(j, "block", cw);
  if (!block.is_array() || block.size() != 2 ||
      json_int_value(block[0], 1, kInt32Max, cw + ".block") != w.layout.block_rows ||
      json_int_value(block[1], 1, kInt32Max, cw + ".block") != w.layout.block_cols)
    fail_input(cw, "block must repeat the weights' block shape [" + std::to_string(w.layout.block_rows) + ", " +
                       std::to_string(w.layout.block_cols) + "]");
  c.ratio = json_number(j, "ratio", cw);
  const std::string selection = json_string(j, "selection", cw);
  if (selection != "random" && selection != "magnitude")
    fail_input(cw, "selection '" + selection + "' is not random or magnitude");
  c.magnitude = selection == "magnitude";
  const std::string scale = json_string(j, "scale", cw);
  if (scale != "per_row" && scale != "per_layer") fail_input(cw, "scale '" + scale + "' is not per_row or per_layer");
  c.per_row_scales = scale == "per_row";
  return c;
}

// Reads the header fields of stage k (ranges only; validate_network checks their meaning) and
// takes its blobs, checking their sizes against the shapes the header gives.
Stage stage_from(const json& j, size_t k, Blobs& blobs, const std::string& where) {
  Stage s;
  const std::string sw = where + ": stage " + std::to_string(k);
  s.name = json_string(j, "name", sw);
  s.op = parse_op_kind(json_string(j, "op", sw), sw + ".op");
  s.input = shape_field(j, "input", sw);
  s.kernel = int_field(j, "kernel", 0, sw);
  s.stride = int_field(j, "stride", 0, sw);
  s.padding = int_field(j, "padding", 0, sw);
  const json& w = json_field(j, "weights", sw);
  const std::string ww = sw + ": weights";
  kernels::BsrLayout& l = s.weights.layout;
  l.rows = json_int(w, "rows", 1, kInt64Max, ww);
  l.cols = json_int(w, "cols", 1, kInt64Max, ww);
  l.block_rows = int_field(w, "block_rows", 1, ww);
  l.block_cols = int_field(w, "block_cols", 1, ww);
  s.weights.bits = static_cast<int>(json_int(w, "bits", 1, 8, ww));
  const int64_t kept = json_int(w, "kept_blocks", 0, kInt32Max, ww);
  const std::optional<int64_t> grid = try_mul(l.num_block_rows(), l.num_block_cols());
  if (grid && kept > *grid)
    fail_input(ww, "kept_blocks " + std::to_string(kept) + " is more than the " + std::to_string(*grid) + " blocks");
  const json& p = json_field(j, "pool", sw);
  s.pool.size = int_field(p, "size", 0, sw + ": pool");
  s.pool.stride = int_field(p, "stride", 0, sw + ": pool");
  s.pool.placement = parse_pool_placement(json_string(p, "placement", sw + ": pool"), sw + ".pool.placement");
  const json& a = json_field(j, "activation", sw);
  s.act = parse_act_kind(json_string(a, "kind", sw + ": activation"), sw + ".activation.kind");
  s.act_bits = static_cast<int>(json_int(a, "bits", 1, 32, sw + ": activation"));
  s.shift = int_field(j, "shift", 0, sw);

  // Blob sizes bound rows and kept blocks by the file's size before anything is sized by them.
  const std::string codes_blob = blob_name(k, "codes");
  s.weights.row_scales = blobs.take<float>(blob_name(k, "row_scales"), l.rows);
  for (size_t r = 0; r < s.weights.row_scales.size(); ++r)
    if (!std::isfinite(s.weights.row_scales[r]))
      fail_input(where, "blob '" + blob_name(k, "row_scales") + "' holds a non-finite value (" +
                            std::to_string(s.weights.row_scales[r]) + ") at row " + std::to_string(r));
  s.mult = blobs.take<int32_t>(blob_name(k, "mult"), l.rows);
  s.bias = blobs.take<int64_t>(blob_name(k, "bias"), l.rows);
  l.block_col_idx = blobs.take<int32_t>(blob_name(k, "block_col_idx"), kept);
  const int64_t code_bits = checked_product({kept, l.block_elems(), s.weights.bits}, ww, "code stream");
  s.weights.packed = blobs.take<uint8_t>(codes_blob, code_bits / 8 + (code_bits % 8 != 0));
  if (l.num_block_rows() > kInt32Max) fail_input(ww, "more than 2^31 block-rows");
  l.block_row_ptr = blobs.take<int32_t>(blob_name(k, "block_row_ptr"), l.num_block_rows() + 1);
  const std::string bsr_where = sw + " block index";
  kernels::bsr_validate(s.weights, bsr_where.c_str());
  check_padding_codes(s.weights, where, codes_blob);
  s.constraint = constraint_from(json_field(j, "constraints", sw), s.weights, sw);
  return s;
}

// What the header states that follows from the rest: the output shape and the memory.
void check_derived(const json& j, const Stage& s, const std::string& sw) {
  if (!(shape_field(j, "output", sw) == s.output_shape()))
    fail_input(sw, "output shape in the header disagrees with the op, kernel and pool");
  const json& m = json_field(j, "memory", sw);
  const std::string mw = sw + ": memory";
  const StageMemory stated{json_int(m, "kept_values", 0, kInt64Max, mw), json_int(m, "value_bits", 0, kInt64Max, mw),
                           json_int(m, "index_bits", 0, kInt64Max, mw), json_int(m, "scale_bits", 0, kInt64Max, mw)};
  const StageMemory actual = stage_memory(s);
  if (!(stated == actual))
    fail_input(mw, "the header says " + memory_json(stated).dump() + ", the weights and constraint give " +
                       memory_json(actual).dump());
}

ModelFile parse_checked(const std::string& bytes, const std::string& where) {
  const auto size = static_cast<int64_t>(bytes.size());
  if (size < 4 || std::memcmp(bytes.data(), kMagic, 4) != 0)
    fail_input(where, "not a bitblock model file (bad magic; expected \"BBM1\")");
  if (size < 8) fail_input(where, "truncated: the file ends inside the fixed header");
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  if (version == 1)
    fail_input(where, "model file version 1 (its header has no checksum) is no longer read; re-export it from its "
                      "run's checkpoint: bitblock export --checkpoint <run>/checkpoint.bbc --out " + where);
  if (version != kModelFileVersion)
    fail_input(where, "unsupported model file version " + std::to_string(version) + " (this build reads version " +
                          std::to_string(kModelFileVersion) + ")");
  if (size < kPrefixBytes) fail_input(where, "truncated: the file ends inside the fixed header");
  uint64_t header_len = 0;
  uint32_t header_crc = 0;
  std::memcpy(&header_len, bytes.data() + 8, 8);
  std::memcpy(&header_crc, bytes.data() + 16, 4);
  if (header_len > static_cast<uint64_t>(size - kPrefixBytes))
    fail_input(where, "truncated: the JSON header (" + std::to_string(header_len) + " bytes) runs past the end of the file");
  const char* header_text = bytes.data() + kPrefixBytes;
  if (!crc32_matches(header_text, header_len, header_crc))
    fail_input(where, "CRC mismatch in the JSON header (the file is corrupt)");
  const json header = parse_json_document(std::string_view(header_text, header_len), where);
  const int64_t data_start = align_up(kPrefixBytes + static_cast<int64_t>(header_len));
  const int64_t data_bytes = size - data_start;  // negative when the header ends the file

  if (json_string(header, "format", where) != "bitblock-model") fail_input(where, "header format is not bitblock-model");
  Blobs blobs(where);
  const json& table = json_field(header, "blobs", where);
  if (!table.is_array()) fail_input(where, "blobs: expected an array");
  for (const json& b : table) {
    const std::string name = json_string(b, "name", where + ": blob table");
    const std::string bw = where + ": blob '" + name + "'";
    const int64_t offset = json_int(b, "offset", 0, kInt64Max, bw), bsize = json_int(b, "size", 0, kInt64Max, bw);
    if (offset % kAlign != 0) fail_input(where, "blob '" + name + "' has an offset that is not a multiple of 64");
    const std::optional<int64_t> end = try_add(offset, bsize);
    if (!end || *end > data_bytes)
      fail_input(where, "truncated: blob '" + name + "' (" + std::to_string(bsize) + " bytes at data offset " +
                            std::to_string(offset) + ") runs past the end of the file");
    const char* data = bytes.data() + data_start + offset;
    if (!crc32_matches(data, static_cast<size_t>(bsize), static_cast<uint32_t>(json_int(b, "crc32", 0, UINT32_MAX, bw))))
      fail_input(where, "CRC mismatch in blob '" + name + "' (the file is corrupt)");
    blobs.add(name, data, bsize);
  }
  blobs.check_disjoint();
  ModelFile model;
  model.file_bytes = size;
  Network& net = model.network;
  net.dataset = json_string(header, "dataset", where);
  net.num_classes = int_field(header, "num_classes", 1, where);
  const json& in = json_field(header, "input", where);
  net.input = shape_field(in, "shape", where + ": input");
  net.input_mode = parse_input_mode(json_string(in, "mode", where + ": input"), where + ": input.mode");
  net.input_scale = json_number(in, "scale", where + ": input");
  if (!(net.input_scale > 0.0)) fail_input(where, "input.scale must be > 0");
  net.training = json_field(header, "training", where);
  const json& stages = json_field(header, "stages", where);
  if (!stages.is_array()) fail_input(where, "stages: expected an array");
  for (size_t k = 0; k < stages.size(); ++k) net.stages.push_back(stage_from(stages[k], k, blobs, where));
  blobs.check_all_used();
  validate_network(net, where);
  for (size_t k = 0; k < stages.size(); ++k)
    check_derived(stages[k], net.stages[k], where + ": stage " + std::to_string(k));
  return model;
}

}  // namespace

std::string serialize_model(const Network& net) {
  validate_network(net, "model");
  json header{{"format", "bitblock-model"},
              {"dataset", net.dataset},
              {"num_classes", net.num_classes},
              {"input", {{"shape", shape_json(net.input)}, {"mode", to_string(net.input_mode)}, {"scale", net.input_scale}}},
              {"training", net.training},
              {"stages", json::array()},
              {"blobs", json::array()}};
  std::vector<std::string> payloads;
  int64_t offset = 0;
  auto add_blob = [&](const std::string& name, std::string bytes) {
    header["blobs"].push_back(
        {{"name", name}, {"offset", offset}, {"size", bytes.size()}, {"crc32", crc32_of(bytes.data(), bytes.size())}});
    offset = align_up(offset + static_cast<int64_t>(bytes.size()));
    payloads.push_back(std::move(bytes));
  };
  for (size_t k = 0; k < net.stages.size(); ++k) {
    const Stage& s = net.stages[k];
    header["stages"].push_back(stage_json(s));
    add_blob(blob_name(k, "codes"), bytes_of(s.weights.packed));
    add_blob(blob_name(k, "block_row_ptr"), bytes_of(s.weights.layout.block_row_ptr));
    add_blob(blob_name(k, "block_col_idx"), bytes_of(s.weights.layout.block_col_idx));
    add_blob(blob_name(k, "row_scales"), bytes_of(s.weights.row_scales));
    add_blob(blob_name(k, "mult"), bytes_of(s.mult));
    add_blob(blob_name(k, "bias"), bytes_of(s.bias));
  }
  const std::string text = header.dump();
  const int64_t data_start = align_up(kPrefixBytes + static_cast<int64_t>(text.size()));
  std::string out(static_cast<size_t>(data_start), '\0');
  std::memcpy(out.data(), kMagic, 4);
  const uint32_t version = kModelFileVersion;
  const uint64_t header_len = text.size();
  const uint32_t header_crc = crc32_of(text.data(), text.size());
  std::memcpy(out.data() + 4, &version, 4);
  std::memcpy(out.data() + 8, &header_len, 8);
  std::memcpy(out.data() + 16, &header_crc, 4);
  std::memcpy(out.data() + kPrefixBytes, text.data(), text.size());
  for (const std::string& p : payloads) {
    // Pad to the next 64-byte boundary before each blob (not after the last one).
    out.resize(static_cast<size_t>(data_start + align_up(static_cast<int64_t>(out.size()) - data_start)), '\0');
    out += p;
  }
  return out;
}

void save_model(const ModelFile& model, const std::string& path) {
  write_file_atomic(path, serialize_model(model.network));
}

ModelFile parse_model(const std::string& bytes, const std::string& where) {
  return read_boundary(where, [&] { return parse_checked(bytes, where); });
}

ModelFile load_model(const std::string& path) { return parse_model(read_file(path), path); }

}  // namespace bitblock::model
