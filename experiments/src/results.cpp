#include "bitblock/experiments/results.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/text_escape.hpp"
#include "bitblock/common/names.hpp"

namespace bitblock::experiments {

const std::vector<std::string> kMetricColumns = {
    "test_acc",        "best_test_acc", "integer_test_acc", "weight_bits",  "weight_kib",
    "reduction_vs_float32", "train_seconds", "samples_per_s", "energy_nj", "area_mm2",
    "classifications_per_s"};

namespace {

nlohmann::json read_json(const std::string& path) { return parse_json_document(read_file(path), path); }

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// An exclusive flock held for the object's lifetime (released by close, also when the process dies).
class ExclusiveLock {
 public:
  explicit ExclusiveLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) fail_input(path, std::string("cannot open the lock file: ") + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd_);
      fail_input(path, std::string("cannot lock: ") + std::strerror(err));
    }
  }
  ~ExclusiveLock() { ::close(fd_); }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  int fd_;
};

}  // namespace

std::vector<ResultRow> collect_results(const std::string& sweep_dir) {
  std::vector<std::string> runs;
  if (DIR* d = ::opendir(sweep_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && file_exists(sweep_dir + "/" + n + "/sweep_point.json")) runs.push_back(n);
    }
    ::closedir(d);
  } else {
    fail_input(sweep_dir, "cannot open the sweep folder");
  }
  std::vector<ResultRow> rows;
  for (const std::string& run : runs) {
    const std::string dir = sweep_dir + "/" + run;
    if (!file_exists(dir + "/summary.json")) continue;  // not finished
    nlohmann::json point = read_json(dir + "/sweep_point.json");
    nlohmann::json summary = read_json(dir + "/summary.json");
    ResultRow r;
    r.run = run;
    const int index = point.value("index", 0);
    for (const auto& kv : point.at("values")) r.keys.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    r.metrics["index"] = index;
    auto take = [&](const nlohmann::json& j, const char* key, const std::string& column) {
      if (j.contains(key) && j[key].is_number()) r.metrics[column] = j[key].get<double>();
    };
    take(summary, "test_acc", "test_acc");
    take(summary, "best_test_acc", "best_test_acc");
    take(summary, "integer_test_acc", "integer_test_acc");
    take(summary, "train_seconds", "train_seconds");
    take(summary, "samples_per_s", "samples_per_s");
    if (summary.contains("memory")) {
      take(summary["memory"], "total_bits", "weight_bits");
      take(summary["memory"], "total_kib", "weight_kib");
      take(summary["memory"], "reduction_vs_float32", "reduction_vs_float32");
    }
    if (file_exists(dir + "/hwsim/report.json")) {
      nlohmann::json hw = read_json(dir + "/hwsim/report.json");
      if (hw.contains("energy_nj_per_classification")) take(hw["energy_nj_per_classification"], "total", "energy_nj");
      if (hw.contains("area_mm2")) take(hw["area_mm2"], "total", "area_mm2");
      take(hw, "classifications_per_s", "classifications_per_s");
    }
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const ResultRow& a, const ResultRow& b) {
    return a.metrics.at("index") != b.metrics.at("index") ? a.metrics.at("index") < b.metrics.at("index") : a.run < b.run;
  });
  for (ResultRow& r : rows) r.metrics.erase("index");
  return rows;
}

void write_results_csv(const std::string& path, const std::vector<ResultRow>& rows) {
  std::vector<std::string> keys;
  for (const ResultRow& r : rows)
    for (const auto& [k, v] : r.keys)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  std::string out = "run";
  for (const std::string& k : keys) out += "," + csv_cell(k);
  for (const std::string& m : kMetricColumns) out += "," + m;
  out += "\n";
  char buf[64];
  for (const ResultRow& r : rows) {
    out += csv_cell(r.run);
    for (const std::string& k : keys) {
      std::string v;
      for (const auto& [rk, rv] : r.keys)
        if (rk == k) v = rv;
      out += "," + csv_cell(v);
    }
    for (const std::string& m : kMetricColumns) {
      out += ",";
      auto it = r.metrics.find(m);
      if (it != r.metrics.end()) {
        std::snprintf(buf, sizeof buf, "%.10g", it->second);
        out += buf;
      }
    }
    out += "\n";
  }
  write_file_atomic(path, out);
}

std::vector<ResultRow> read_results_csv(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line;
  if (!std::getline(in, line)) fail_input(path, "empty file");
  const std::vector<std::string> header = split_csv_line(line);
  if (header.empty() || header[0] != "run") fail_input(path, "not a results.csv (first column must be 'run')");
  std::vector<ResultRow> rows;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string> cells = split_csv_line(line);
    if (cells.size() != header.size())
      fail_input(path, "line " + std::to_string(line_no) + " has " + std::to_string(cells.size()) + " cells, header has " +
                           std::to_string(header.size()));
    ResultRow r;
    r.run = cells[0];
    for (size_t i = 1; i < header.size(); ++i) {
      const bool metric = std::find(kMetricColumns.begin(), kMetricColumns.end(), header[i]) != kMetricColumns.end();
      if (!metric) {
        r.keys.emplace_back(header[i], cells[i]);
      } else if (!cells[i].empty()) {
        const std::string where = "line " + std::to_string(line_no) + ": " + header[i];
        double v = 0.0;
        try {
          size_t used = 0;
          v = std::stod(cells[i], &used);
          if (used != cells[i].size()) throw std::invalid_argument(cells[i]);
        } catch (const std::exception&) {
          fail_input(path, where + " '" + printable(cells[i]) + "' is not a number");
        }
        // Accuracies are fractions and costs are sizes: anything else would sit on a front.
        const bool accuracy = header[i].find("_acc") != std::string::npos;
        if (!std::isfinite(v) || v < 0.0 || (accuracy && v > 1.0))
          fail_input(path, where + " is " + cells[i] + " (expected " + (accuracy ? "0 to 1" : "a finite number >= 0") + ")");
        r.metrics[header[i]] = v;
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<ResultRow> update_results_csv(const std::string& sweep_dir) {
  const ExclusiveLock lock(sweep_dir + "/results.csv.lock");
  std::vector<ResultRow> rows = collect_results(sweep_dir);
  write_results_csv(sweep_dir + "/results.csv", rows);
  return rows;
}

}  // namespace bitblock::experiments
