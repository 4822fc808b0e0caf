#include "bitblock/model/summary.hpp"

#include <cstdio>

#include "bitblock/common/text_escape.hpp"

namespace bitblock::model {

namespace {

std::string shape_str(const Shape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

std::string kib(int64_t bits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(bits) / 8.0 / 1024.0);
  return buf;
}

}  // namespace

ModelSummary summarize(const Network& net) {
  ModelSummary m;
  for (const Stage& s : net.stages) {
    const kernels::BsrLayout& l = s.weights.layout;
    StageSummary r;
    r.name = s.name;
    r.op = to_string(s.op);
    r.input = shape_str(s.input);
    r.output = shape_str(s.output_shape());
    r.bits = s.weights.bits;
    r.structure = to_string(s.constraint.structure);
    r.block = std::to_string(l.block_rows) + "x" + std::to_string(l.block_cols);
    r.activation = s.act == ActKind::Unsigned || s.act == ActKind::Signed
                       ? std::string(to_string(s.act)) + std::to_string(s.act_bits)
                       : std::string(to_string(s.act));
    const int64_t kept = kept_in_matrix_elements(l);
    r.kept_fraction = static_cast<double>(kept) / static_cast<double>(l.rows * l.cols);
    r.memory = stage_memory(s);
    r.dense_float_bits = l.rows * l.cols * 32;
    r.macs = kept * s.positions();
    r.dense_macs = l.rows * l.cols * s.positions();
    m.total.kept_values += r.memory.kept_values;
    m.total.value_bits += r.memory.value_bits;
    m.total.index_bits += r.memory.index_bits;
    m.total.scale_bits += r.memory.scale_bits;
    m.dense_float_bits += r.dense_float_bits;
    m.macs += r.macs;
    m.dense_macs += r.dense_macs;
    m.stages.push_back(r);
  }
  return m;
}

std::string format_summary(const ModelSummary& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-10s %-5s %-11s %-11s %4s %-8s %-7s %-10s %6s %10s %10s %10s %10s %12s\n", "stage",
                "op", "input", "output", "bits", "struct", "block", "act", "kept", "value KiB", "index KiB",
                "scale KiB", "total KiB", "MACs");
  out += line;
  for (const StageSummary& r : s.stages) {
    std::snprintf(line, sizeof line, "%-10s %-5s %-11s %-11s %4d %-8s %-7s %-10s %6.3f %10s %10s %10s %10s %12lld\n",
                  printable(r.name).c_str(), r.op.c_str(), r.input.c_str(), r.output.c_str(), r.bits, r.structure.c_str(),
                  r.block.c_str(), r.activation.c_str(), r.kept_fraction, kib(r.memory.value_bits).c_str(),
                  kib(r.memory.index_bits).c_str(), kib(r.memory.scale_bits).c_str(),
                  kib(r.memory.total_bits()).c_str(), static_cast<long long>(r.macs));
    out += line;
  }
  std::snprintf(line, sizeof line, "%-10s %-5s %-11s %-11s %4s %-8s %-7s %-10s %6s %10s %10s %10s %10s %12lld\n", "total",
                "", "", "", "", "", "", "", "", kib(s.total.value_bits).c_str(), kib(s.total.index_bits).c_str(),
                kib(s.total.scale_bits).c_str(), kib(s.total.total_bits()).c_str(), static_cast<long long>(s.macs));
  out += line;
  std::snprintf(line, sizeof line,
                "weight memory %s KiB vs %s KiB dense float32: %.1fx smaller; MACs %lld of %lld dense (%.1fx fewer)\n",
                kib(s.total.total_bits()).c_str(), kib(s.dense_float_bits).c_str(), s.reduction(),
                static_cast<long long>(s.macs), static_cast<long long>(s.dense_macs),
                s.macs ? double(s.dense_macs) / double(s.macs) : 0.0);
  out += line;
  return out;
}

nlohmann::json summary_json(const ModelSummary& s) {
  nlohmann::json stages = nlohmann::json::array();
  for (const StageSummary& r : s.stages) {
    stages.push_back({{"name", r.name}, {"op", r.op}, {"input", r.input}, {"output", r.output}, {"bits", r.bits},
                      {"structure", r.structure}, {"block", r.block}, {"activation", r.activation},
                      {"kept_fraction", r.kept_fraction}, {"value_bits", r.memory.value_bits},
                      {"index_bits", r.memory.index_bits}, {"scale_bits", r.memory.scale_bits},
                      {"total_bits", r.memory.total_bits()}, {"dense_float_bits", r.dense_float_bits},
                      {"macs", r.macs}, {"dense_macs", r.dense_macs}});
  }
  return {{"stages", stages},
          {"total_bits", s.total.total_bits()},
          {"dense_float_bits", s.dense_float_bits},
          {"reduction_vs_float32", s.reduction()},
          {"macs", s.macs},
          {"dense_macs", s.dense_macs}};
}

}  // namespace bitblock::model
