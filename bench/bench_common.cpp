#include "bench_common.hpp"

#include <algorithm>
#include <numeric>

#include "bitblock/kernels/codes.hpp"

namespace bitblock::bench {

namespace {
std::map<std::string, double>& baselines() {
  static std::map<std::string, double> table;
  return table;
}
}  // namespace

std::vector<GemmShape> cpu_shapes() {
  std::vector<GemmShape> shapes;
  for (int64_t batch : {100, 1000}) {
    shapes.push_back({batch, 784, 1024});
    shapes.push_back({batch, 1024, 1024});
    shapes.push_back({batch, 1024, 10});
    shapes.push_back({batch, 4096, 4096});
  }
  // Convolutions as patch rows, one 32x32 sample: cifar10_small's conv 2 (32 -> 32 channels) and
  // cifar10_vgg's (128 -> 128).
  shapes.push_back({1024, 288, 32});
  shapes.push_back({1024, 1152, 128});
  return shapes;
}

std::vector<float> random_floats(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

kernels::BsrWeights random_bsr(int64_t rows, int64_t cols, int block_rows, int block_cols, int bits, int ratio,
                               uint64_t seed) {
  Rng rng(seed);
  std::vector<int8_t> codes(static_cast<size_t>(rows * cols));
  const int lo = kernels::code_min(bits), hi = kernels::code_max(bits);
  for (auto& c : codes) {
    c = bits == 1 ? static_cast<int8_t>(rng.below(2) ? 1 : -1)
                  : static_cast<int8_t>(lo + static_cast<int>(rng.below(static_cast<uint32_t>(hi - lo + 1))));
  }
  std::vector<uint8_t> mask(codes.size(), 0);
  const int64_t nbr = (rows + block_rows - 1) / block_rows, nbc = (cols + block_cols - 1) / block_cols;
  const int64_t keep = std::max<int64_t>(1, nbc / ratio);
  std::vector<int64_t> order(static_cast<size_t>(nbc));
  for (int64_t i = 0; i < nbr; ++i) {
    std::iota(order.begin(), order.end(), 0);
    shuffle(order.data(), static_cast<uint64_t>(nbc), rng);
    for (int64_t t = 0; t < keep; ++t) {
      const int64_t j = order[static_cast<size_t>(t)];
      mask[static_cast<size_t>(i * block_rows * cols + j * block_cols)] = 1;
    }
  }
  std::vector<float> scales(static_cast<size_t>(rows));
  for (auto& s : scales) s = rng.uniform(0.01f, 0.1f);
  return kernels::bsr_pack(codes.data(), mask.data(), rows, cols, block_rows, block_cols, bits, scales.data());
}

std::vector<float> dense_weights(const kernels::BsrWeights& w) {
  const int64_t rows = w.layout.rows, cols = w.layout.cols;
  std::vector<int8_t> codes(static_cast<size_t>(rows * cols));
  kernels::bsr_unpack_codes(w, codes.data());
  std::vector<float> dense(codes.size());
  for (int64_t n = 0; n < rows; ++n) {
    for (int64_t k = 0; k < cols; ++k) dense[n * cols + k] = codes[n * cols + k] * w.row_scales[n];
  }
  return dense;
}

void record_baseline(const std::string& key, double seconds) {
  auto it = baselines().find(key);
  if (it == baselines().end() || seconds < it->second) baselines()[key] = seconds;
}
bool has_baseline(const std::string& key) { return baselines().count(key) != 0; }
double stored_baseline(const std::string& key) { return baselines().at(key); }

void set_counters(benchmark::State& state, double seconds, double base_seconds, const GemmShape& s) {
  if (seconds <= 0.0) return;
  state.counters["speedup"] = base_seconds / seconds;
  state.counters["dense_GFLOPs"] = 2.0 * static_cast<double>(s.M * s.K * s.N) / seconds * 1e-9;
}

}  // namespace bitblock::bench
