#include "bitblock/framework/checkpoint.hpp"

#include <zlib.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {

constexpr char kMagic[4] = {'B', 'B', 'C', 'K'};
constexpr uint32_t kVersion = 1;

uint32_t crc_of(const void* data, size_t n) {
  return static_cast<uint32_t>(crc32(0L, static_cast<const Bytef*>(data), static_cast<uInt>(n)));
}

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

nlohmann::json metrics_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch}, {"lr", m.lr}, {"train_loss", m.train_loss}, {"train_acc", m.train_acc},
          {"test_loss", m.test_loss}, {"test_acc", m.test_acc}, {"samples_per_s", m.samples_per_s},
          {"seconds", m.seconds}};
}

}  // namespace

void save_checkpoint(const Checkpoint& ckpt, const std::string& path) {
  nlohmann::json h;
  h["config"] = ckpt.config_yaml;
  const TrainPosition& p = ckpt.position;
  h["position"] = {{"epoch", p.epoch}, {"next_batch", p.next_batch}, {"loss_sum", p.loss_sum},
                   {"correct", p.correct}, {"seen", p.seen}, {"seconds", p.seconds},
                   {"optimizer_step", p.optimizer_step}};
  h["history"] = nlohmann::json::array();
  for (const EpochMetrics& m : ckpt.history) h["history"].push_back(metrics_json(m));
  std::string blobs;
  auto add_blob = [&](const std::string& kind, const std::string& name, const void* data, size_t bytes,
                      const nlohmann::json& shape) {
    h["blobs"].push_back({{"kind", kind}, {"name", name}, {"offset", blobs.size()}, {"bytes", bytes},
                          {"shape", shape}, {"crc32", crc_of(data, bytes)}});
    blobs.append(static_cast<const char*>(data), bytes);
  };
  h["blobs"] = nlohmann::json::array();
  for (const auto& [name, t] : ckpt.tensors)
    add_blob("tensor", name, t.data(), static_cast<size_t>(t.numel()) * sizeof(float), t.shape());
  for (const auto& [name, m] : ckpt.masks) add_blob("mask", name, m.data(), m.size(), nlohmann::json::array({m.size()}));
  // Doubles are written as JSON numbers with round-trip precision (nlohmann uses %.17g).
  std::string header = h.dump();
  std::string out(kMagic, 4);
  put<uint32_t>(out, kVersion);
  put<uint64_t>(out, header.size());
  out += header;
  out += blobs;
  write_file_atomic(path, out);
}

Checkpoint load_checkpoint(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kMagic, 4) != 0)
    fail_input(path, "not a bitblock checkpoint (bad magic)");
  uint32_t version = 0;
  uint64_t header_len = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&header_len, bytes.data() + 8, 8);
  if (version != kVersion) fail_input(path, "unsupported checkpoint version " + std::to_string(version));
  if (header_len > bytes.size() - 16) fail_input(path, "truncated (header runs past the end of the file)");
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(bytes.begin() + 16, bytes.begin() + 16 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const nlohmann::json::exception& e) {
    fail_input(path, std::string("corrupt header: ") + e.what());
  }
  const size_t base = 16 + header_len;
  Checkpoint c;
  try {
    c.config_yaml = h.at("config").get<std::string>();
    const auto& p = h.at("position");
    c.position.epoch = p.at("epoch").get<int>();
    c.position.next_batch = p.at("next_batch").get<int64_t>();
    c.position.loss_sum = p.at("loss_sum").get<double>();
    c.position.correct = p.at("correct").get<int64_t>();
    c.position.seen = p.at("seen").get<int64_t>();
    c.position.seconds = p.at("seconds").get<double>();
    c.position.optimizer_step = p.at("optimizer_step").get<int64_t>();
    for (const auto& m : h.at("history")) {
      EpochMetrics e;
      e.epoch = m.at("epoch").get<int>();
      e.lr = m.at("lr").get<double>();
      e.train_loss = m.at("train_loss").get<double>();
      e.train_acc = m.at("train_acc").get<double>();
      e.test_loss = m.at("test_loss").get<double>();
      e.test_acc = m.at("test_acc").get<double>();
      e.samples_per_s = m.at("samples_per_s").get<double>();
      e.seconds = m.at("seconds").get<double>();
      c.history.push_back(e);
    }
    for (const auto& b : h.at("blobs")) {
      std::string name = b.at("name").get<std::string>();
      uint64_t offset = b.at("offset").get<uint64_t>();
      uint64_t n = b.at("bytes").get<uint64_t>();
      if (offset > bytes.size() - base || n > bytes.size() - base - offset)
        fail_input(path, "truncated (blob '" + name + "' runs past the end of the file)");
      const char* data = bytes.data() + base + offset;
      if (crc_of(data, n) != b.at("crc32").get<uint32_t>()) fail_input(path, "CRC mismatch in blob '" + name + "'");
      if (b.at("kind") == "tensor") {
        Shape shape = b.at("shape").get<Shape>();
        if (static_cast<uint64_t>(shape_numel(shape)) * sizeof(float) != n)
          fail_input(path, "blob '" + name + "' size does not match its shape");
        std::vector<float> v(n / sizeof(float));
        std::memcpy(v.data(), data, n);
        c.tensors.emplace_back(name, Tensor(shape, std::move(v)));
      } else {
        c.masks.emplace_back(name, std::vector<uint8_t>(data, data + n));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    fail_input(path, std::string("corrupt header: ") + e.what());
  }
  return c;
}

}  // namespace bitblock
