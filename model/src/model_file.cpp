#include "bitblock/model/model_file.hpp"

#include <zlib.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/kernels/codes.hpp"

namespace bitblock::model {

namespace {

using nlohmann::json;

constexpr char kMagic[4] = {'B', 'B', 'M', '1'};
constexpr int64_t kPrefixBytes = 16;
constexpr int64_t kAlign = 64;

int64_t align_up(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

uint32_t crc_of(const void* data, size_t n) {
  // zlib's crc32 takes uInt lengths: feed it in chunks so huge blobs are fine.
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

template <typename T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

json shape_json(const Shape& s) { return json::array({s.c, s.h, s.w}); }

Shape shape_from(const json& j) {
  if (!j.is_array() || j.size() != 3) throw json::other_error::create(501, "shape must be [C, H, W]", &j);
  return {j[0].get<int>(), j[1].get<int>(), j[2].get<int>()};
}

std::string blob_name(size_t k, const char* field) { return "stage" + std::to_string(k) + "." + field; }

json stage_json(const Stage& s) {
  const kernels::BsrLayout& l = s.weights.layout;
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
              {"constraints", s.constraints},
              {"memory",
               {{"kept_values", s.memory.kept_values},
                {"value_bits", s.memory.value_bits},
                {"index_bits", s.memory.index_bits},
                {"scale_bits", s.memory.scale_bits}}}};
}

// A blob as found in the file: its bytes, checked against its CRC.
struct BlobRef {
  const char* data = nullptr;
  int64_t size = 0;
};

template <typename T>
std::vector<T> blob_vector(const std::map<std::string, BlobRef>& blobs, const std::string& name, int64_t count,
                           const std::string& where) {
  const auto it = blobs.find(name);
  if (it == blobs.end()) fail_input(where, "blob '" + name + "' is missing from the blob table");
  const int64_t want = count * static_cast<int64_t>(sizeof(T));
  if (it->second.size != want)
    fail_input(where, "blob '" + name + "' has " + std::to_string(it->second.size) + " bytes, the header's shapes need " +
                          std::to_string(want));
  std::vector<T> v(static_cast<size_t>(count));
  if (want > 0) std::memcpy(v.data(), it->second.data, static_cast<size_t>(want));
  return v;
}

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

Stage stage_from(const json& j, size_t k, const std::map<std::string, BlobRef>& blobs, const std::string& where) {
  Stage s;
  const std::string sw = where + ": stage " + std::to_string(k);
  s.name = j.at("name").get<std::string>();
  s.op = parse_op_kind(j.at("op").get<std::string>(), sw + ".op");
  s.input = shape_from(j.at("input"));
  s.kernel = j.at("kernel").get<int>();
  s.stride = j.at("stride").get<int>();
  s.padding = j.at("padding").get<int>();
  const json& w = j.at("weights");
  kernels::BsrLayout& l = s.weights.layout;
  l.rows = w.at("rows").get<int64_t>();
  l.cols = w.at("cols").get<int64_t>();
  l.block_rows = w.at("block_rows").get<int>();
  l.block_cols = w.at("block_cols").get<int>();
  s.weights.bits = w.at("bits").get<int>();
  const int64_t kept = w.at("kept_blocks").get<int64_t>();
  if (l.rows < 1 || l.cols < 1 || l.block_rows < 1 || l.block_cols < 1 || kept < 0 ||
      kept > l.num_block_rows() * l.num_block_cols())
    fail_input(sw, "weights: impossible shape, block or kept_blocks in the header");
  if (!kernels::valid_code_bits(s.weights.bits))
    fail_input(sw, "weights: unsupported code width " + std::to_string(s.weights.bits));
  const json& p = j.at("pool");
  s.pool.size = p.at("size").get<int>();
  s.pool.stride = p.at("stride").get<int>();
  s.pool.placement = parse_pool_placement(p.at("placement").get<std::string>(), sw + ".pool.placement");
  const json& a = j.at("activation");
  s.act = parse_act_kind(a.at("kind").get<std::string>(), sw + ".activation.kind");
  s.act_bits = a.at("bits").get<int>();
  s.shift = j.at("shift").get<int>();
  s.constraints = j.at("constraints");
  const json& m = j.at("memory");
  s.memory.kept_values = m.at("kept_values").get<int64_t>();
  s.memory.value_bits = m.at("value_bits").get<int64_t>();
  s.memory.index_bits = m.at("index_bits").get<int64_t>();
  s.memory.scale_bits = m.at("scale_bits").get<int64_t>();

  const std::string codes_blob = blob_name(k, "codes");
  s.weights.packed = blob_vector<uint8_t>(blobs, codes_blob,
                                          kernels::packed_code_bytes(kept * l.block_elems(), s.weights.bits), where);
  l.block_row_ptr = blob_vector<int32_t>(blobs, blob_name(k, "block_row_ptr"), l.num_block_rows() + 1, where);
  l.block_col_idx = blob_vector<int32_t>(blobs, blob_name(k, "block_col_idx"), kept, where);
  s.weights.row_scales = blob_vector<float>(blobs, blob_name(k, "row_scales"), l.rows, where);
  s.mult = blob_vector<int32_t>(blobs, blob_name(k, "mult"), l.rows, where);
  s.bias = blob_vector<int64_t>(blobs, blob_name(k, "bias"), l.rows, where);
  const std::string bsr_where = where + ": stage " + std::to_string(k) + " block index";
  kernels::bsr_validate(s.weights, bsr_where.c_str());
  check_padding_codes(s.weights, where, codes_blob);
  if (!(shape_from(j.at("output")) == s.output_shape()))
    fail_input(sw, "output shape in the header disagrees with the op, kernel and pool");
  return s;
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
        {{"name", name}, {"offset", offset}, {"size", bytes.size()}, {"crc32", crc_of(bytes.data(), bytes.size())}});
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
  std::memcpy(out.data() + 4, &version, 4);
  std::memcpy(out.data() + 8, &header_len, 8);
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
  const auto size = static_cast<int64_t>(bytes.size());
  if (size < 4 || std::memcmp(bytes.data(), kMagic, 4) != 0)
    fail_input(where, "not a bitblock model file (bad magic; expected \"BBM1\")");
  if (size < kPrefixBytes) fail_input(where, "truncated: the file ends inside the fixed header");
  uint32_t version = 0;
  uint64_t header_len = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&header_len, bytes.data() + 8, 8);
  if (version != kModelFileVersion)
    fail_input(where, "unsupported model file version " + std::to_string(version) + " (this build reads version " +
                          std::to_string(kModelFileVersion) + ")");
  if (header_len > static_cast<uint64_t>(size - kPrefixBytes))
    fail_input(where, "truncated: the JSON header (" + std::to_string(header_len) + " bytes) runs past the end of the file");
  const int64_t data_start = align_up(kPrefixBytes + static_cast<int64_t>(header_len));
  json header;
  try {
    header = json::parse(bytes.begin() + kPrefixBytes, bytes.begin() + kPrefixBytes + static_cast<int64_t>(header_len));
  } catch (const json::exception& e) {
    fail_input(where, std::string("invalid JSON header: ") + e.what());
  }
  ModelFile model;
  model.file_bytes = size;
  try {
    if (header.at("format").get<std::string>() != "bitblock-model") fail_input(where, "header format is not bitblock-model");
    std::map<std::string, BlobRef> blobs;
    for (const json& b : header.at("blobs")) {
      const std::string name = b.at("name").get<std::string>();
      const int64_t offset = b.at("offset").get<int64_t>(), bsize = b.at("size").get<int64_t>();
      if (offset < 0 || bsize < 0 || offset % kAlign != 0) fail_input(where, "blob '" + name + "' has a bad offset or size");
      if (data_start + offset + bsize > size)
        fail_input(where, "truncated: blob '" + name + "' (" + std::to_string(bsize) + " bytes at data offset " +
                              std::to_string(offset) + ") runs past the end of the file");
      const char* data = bytes.data() + data_start + offset;
      if (crc_of(data, static_cast<size_t>(bsize)) != b.at("crc32").get<uint32_t>())
        fail_input(where, "CRC mismatch in blob '" + name + "' (the file is corrupt)");
      if (!blobs.emplace(name, BlobRef{data, bsize}).second) fail_input(where, "blob '" + name + "' listed twice");
    }
    Network& net = model.network;
    net.dataset = header.at("dataset").get<std::string>();
    net.num_classes = header.at("num_classes").get<int>();
    const json& in = header.at("input");
    net.input = shape_from(in.at("shape"));
    net.input_mode = parse_input_mode(in.at("mode").get<std::string>(), where + ": input.mode");
    net.input_scale = in.at("scale").get<double>();
    net.training = header.at("training");
    const json& stages = header.at("stages");
    for (size_t k = 0; k < stages.size(); ++k) net.stages.push_back(stage_from(stages[k], k, blobs, where));
  } catch (const json::exception& e) {
    fail_input(where, std::string("bad header: ") + e.what());
  }
  validate_network(model.network, where);
  return model;
}

ModelFile load_model(const std::string& path) { return parse_model(read_file(path), path); }

}  // namespace bitblock::model
