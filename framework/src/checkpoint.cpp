#include "bitblock/framework/checkpoint.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/checked.hpp"
#include "bitblock/common/crc32.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {

using nlohmann::json;

constexpr char kMagic[4] = {'B', 'B', 'C', 'K'};
constexpr int64_t kPrefixBytes = 20;        // magic, version, header length, header CRC
constexpr int64_t kPrefixBytesV1 = 16;      // version 1 had no header CRC
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxEpochs = std::numeric_limits<int>::max();

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

json metrics_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch}, {"lr", m.lr}, {"train_loss", m.train_loss}, {"train_acc", m.train_acc},
          {"test_loss", m.test_loss}, {"test_acc", m.test_acc}, {"samples_per_s", m.samples_per_s},
          {"seconds", m.seconds}};
}

// A finite number >= 0 (times, losses, rates); `unit` additionally <= 1 (accuracies).
double non_negative(const json& j, const std::string& key, const std::string& where, bool unit = false) {
  const double v = json_number(j, key, where);
  if (v < 0.0 || (unit && v > 1.0))
    fail_input(where, key + ": " + std::to_string(v) + " is outside " + (unit ? "0..1" : "0.."));
  return v;
}

TrainPosition position_from(const json& p, const std::string& where) {
  TrainPosition pos;
  pos.epoch = static_cast<int>(json_int(p, "epoch", 0, kMaxEpochs, where));
  pos.next_batch = json_int(p, "next_batch", 0, kInt64Max, where);
  pos.loss_sum = non_negative(p, "loss_sum", where);
  pos.correct = json_int(p, "correct", 0, kInt64Max, where);
  pos.seen = json_int(p, "seen", 0, kInt64Max, where);
  pos.seconds = non_negative(p, "seconds", where);
  pos.optimizer_step = json_int(p, "optimizer_step", 0, kInt64Max, where);
  return pos;
}

EpochMetrics metrics_from(const json& m, const std::string& where) {
  EpochMetrics e;
  e.epoch = static_cast<int>(json_int(m, "epoch", 1, kMaxEpochs, where));
  e.lr = non_negative(m, "lr", where);
  e.train_loss = non_negative(m, "train_loss", where);
  e.train_acc = non_negative(m, "train_acc", where, true);
  e.test_loss = non_negative(m, "test_loss", where);
  e.test_acc = non_negative(m, "test_acc", where, true);
  e.samples_per_s = non_negative(m, "samples_per_s", where);
  e.seconds = non_negative(m, "seconds", where);
  return e;
}

Checkpoint parse_checked(const std::string& bytes, const std::string& path) {
  const auto size = static_cast<int64_t>(bytes.size());
  if (size < 8 || std::memcmp(bytes.data(), kMagic, 4) != 0) fail_input(path, "not a bitblock checkpoint (bad magic)");
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  if (version != kCheckpointVersion && version != 1)
    fail_input(path, "unsupported checkpoint version " + std::to_string(version) + " (this build reads versions 1 and " +
                         std::to_string(kCheckpointVersion) + ")");
  const int64_t prefix = version == 1 ? kPrefixBytesV1 : kPrefixBytes;
  if (size < prefix) fail_input(path, "truncated (the file ends inside the fixed header)");
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data() + 8, 8);
  if (header_len > static_cast<uint64_t>(size - prefix)) fail_input(path, "truncated (header runs past the end of the file)");
  const char* header_text = bytes.data() + prefix;
  if (version != 1) {
    uint32_t header_crc = 0;
    std::memcpy(&header_crc, bytes.data() + 16, 4);
    if (!crc32_matches(header_text, header_len, header_crc))
      fail_input(path, "CRC mismatch in the header (the file is corrupt)");
  }
  const json h = parse_json_document(std::string_view(header_text, header_len), path);
  const int64_t base = prefix + static_cast<int64_t>(header_len);
  Checkpoint c;
  c.version = version;
  c.config_yaml = json_string(h, "config", path);
  c.position = position_from(json_field(h, "position", path), path + ": position");
  const json& history = json_field(h, "history", path);
  if (!history.is_array()) fail_input(path, "history: expected an array");
  for (size_t i = 0; i < history.size(); ++i)
    c.history.push_back(metrics_from(history[i], path + ": history[" + std::to_string(i) + "]"));
  const json& blobs = json_field(h, "blobs", path);
  if (!blobs.is_array()) fail_input(path, "blobs: expected an array");
  std::set<std::string> names;
  for (const json& b : blobs) {
    const std::string name = json_string(b, "name", path + ": blob table");
    const std::string bw = path + ": blob '" + name + "'";
    const std::string kind = json_string(b, "kind", bw);
    if (kind != "tensor" && kind != "mask") fail_input(bw, "kind '" + kind + "' is not tensor or mask");
    if (!names.insert(kind + "/" + name).second) fail_input(path, "blob '" + name + "' listed twice");
    const int64_t offset = json_int(b, "offset", 0, kInt64Max, bw);
    const int64_t n = json_int(b, "bytes", 0, kInt64Max, bw);
    const std::optional<int64_t> end = try_add(offset, n);
    if (!end || *end > size - base) fail_input(path, "truncated (blob '" + name + "' runs past the end of the file)");
    const char* data = bytes.data() + base + offset;
    if (!crc32_matches(data, static_cast<size_t>(n), static_cast<uint32_t>(json_int(b, "crc32", 0, UINT32_MAX, bw))))
      fail_input(path, "CRC mismatch in blob '" + name + "'");
    const json& shape_json = json_field(b, "shape", bw);
    if (!shape_json.is_array()) fail_input(bw, "shape: expected an array");
    Shape shape;
    for (const json& d : shape_json) shape.push_back(json_int_value(d, 0, kInt64Max, bw + ": shape"));
    const int64_t elem = kind == "tensor" ? static_cast<int64_t>(sizeof(float)) : 1;
    if (checked_mul(checked_product(shape, bw, "shape"), elem, bw, "shape") != n || (kind == "mask" && shape.size() != 1))
      fail_input(path, "blob '" + name + "' size does not match its shape " + shape_str(shape));
    if (kind == "tensor") {
      std::vector<float> v(static_cast<size_t>(n) / sizeof(float));
      if (n > 0) std::memcpy(v.data(), data, static_cast<size_t>(n));
      c.tensors.emplace_back(name, Tensor(shape, std::move(v)));
    } else {
      c.masks.emplace_back(name, std::vector<uint8_t>(data, data + n));
    }
  }
  if (const std::string problem = state_problem(c); !problem.empty()) fail_input(path, problem);
  return c;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string state_problem(const Checkpoint& c) {
  for (const auto& [name, t] : c.tensors) {
    // Variances and second moments are averages of squares: never negative.
    const bool non_negative = (name.rfind("buffer.", 0) == 0 && ends_with(name, ".running_var")) ||
                              (name.rfind("optim.", 0) == 0 && ends_with(name, ".v"));
    const float* v = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (!std::isfinite(v[i]))
        return "tensor '" + name + "' holds " + (std::isnan(v[i]) ? "NaN" : v[i] > 0 ? "+Inf" : "-Inf") +
               " at element " + std::to_string(i) + " (the run diverged or the file is damaged)";
      if (non_negative && v[i] < 0.0f)
        return "tensor '" + name + "' holds the negative value " + std::to_string(v[i]) + " at element " +
               std::to_string(i) + " (a variance or second moment cannot be negative)";
    }
  }
  return "";
}

void save_checkpoint(const Checkpoint& ckpt, const std::string& path) {
  json h;
  h["config"] = ckpt.config_yaml;
  const TrainPosition& p = ckpt.position;
  h["position"] = {{"epoch", p.epoch}, {"next_batch", p.next_batch}, {"loss_sum", p.loss_sum},
                   {"correct", p.correct}, {"seen", p.seen}, {"seconds", p.seconds},
                   {"optimizer_step", p.optimizer_step}};
  h["history"] = json::array();
  for (const EpochMetrics& m : ckpt.history) h["history"].push_back(metrics_json(m));
  std::string blobs;
  auto add_blob = [&](const std::string& kind, const std::string& name, const void* data, size_t bytes,
                      const json& shape) {
    h["blobs"].push_back({{"kind", kind}, {"name", name}, {"offset", blobs.size()}, {"bytes", bytes},
                          {"shape", shape}, {"crc32", crc32_of(data, bytes)}});
    blobs.append(static_cast<const char*>(data), bytes);
  };
  h["blobs"] = json::array();
  for (const auto& [name, t] : ckpt.tensors)
    add_blob("tensor", name, t.data(), static_cast<size_t>(t.numel()) * sizeof(float), t.shape());
  for (const auto& [name, m] : ckpt.masks) add_blob("mask", name, m.data(), m.size(), json::array({m.size()}));
  // Doubles are written as JSON numbers with round-trip precision (nlohmann uses %.17g).
  const std::string header = h.dump();
  std::string out(kMagic, 4);
  put<uint32_t>(out, kCheckpointVersion);
  put<uint64_t>(out, header.size());
  put<uint32_t>(out, crc32_of(header.data(), header.size()));
  out += header;
  out += blobs;
  write_file_atomic(path, out);
}

Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where) {
  return read_boundary(where, [&] { return parse_checked(bytes, where); });
}

Checkpoint load_checkpoint(const std::string& path) { return parse_checkpoint(read_file(path), path); }

void check_position(const Checkpoint& c, int epochs, int64_t train_samples, int batch_size, const std::string& where) {
  const TrainPosition& p = c.position;
  const int64_t batches = train_samples / batch_size + (train_samples % batch_size != 0);
  auto fail = [&](const std::string& problem) { fail_input(where, "position: " + problem); };
  if (p.epoch > epochs) fail("epoch " + std::to_string(p.epoch) + " is past the run's " + std::to_string(epochs) + " epochs");
  if (static_cast<int64_t>(c.history.size()) != p.epoch)
    fail("epoch " + std::to_string(p.epoch) + " but " + std::to_string(c.history.size()) + " finished epochs in the history");
  for (size_t i = 0; i < c.history.size(); ++i)
    if (c.history[i].epoch != static_cast<int>(i) + 1)
      fail_input(where, "history[" + std::to_string(i) + "]: epoch " + std::to_string(c.history[i].epoch) + ", expected " +
                            std::to_string(i + 1));
  // next_batch == batches: interrupted after the epoch's last batch, before its evaluation.
  if (p.next_batch > batches || (p.epoch == epochs && p.next_batch != 0))
    fail("batch " + std::to_string(p.next_batch) + " is outside the epoch's " + std::to_string(batches) + " batches");
  // Partial sums cover exactly the batches run so far in this epoch.
  const int64_t seen = std::min(p.next_batch * batch_size, train_samples);
  if (p.seen != seen) fail(std::to_string(p.seen) + " samples seen, batch " + std::to_string(p.next_batch) + " means " + std::to_string(seen));
  if (p.correct > p.seen) fail(std::to_string(p.correct) + " correct of " + std::to_string(p.seen) + " seen");
  if (p.next_batch == 0 && (p.loss_sum != 0.0 || p.seconds != 0.0)) fail("partial sums at the start of an epoch");
  const std::optional<int64_t> steps = try_mul(p.epoch, batches);
  if (!steps || p.optimizer_step != *steps + p.next_batch)
    fail("optimizer step " + std::to_string(p.optimizer_step) + " does not match epoch " + std::to_string(p.epoch) +
         ", batch " + std::to_string(p.next_batch) + " (" + std::to_string(batches) + " batches per epoch)");
}

}  // namespace bitblock
