// Integer inference throughput on ONE core: a 784-1024-1024-10 MLP with 3-bit codes, 8x block
// sparsity (8x8 blocks), int16 activations requantized (ReLU, shift, clamp to 8 bits) between
// layers. Counter images_per_s.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "bench_common.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock::bench {
namespace {

void bm_int_mlp(benchmark::State& state, int64_t batch) {
  const int64_t widths[4] = {784, 1024, 1024, 10};
  std::vector<kernels::BsrWeights> layers;
  for (int l = 0; l < 3; ++l) layers.push_back(random_bsr(widths[l + 1], widths[l], 8, 8, 3, 8, 20 + l));
  Rng rng(30);
  std::vector<int16_t> act(static_cast<size_t>(batch * 1024)), next(act.size());
  for (int64_t i = 0; i < batch * 784; ++i) act[static_cast<size_t>(i)] = static_cast<int16_t>(rng.below(256));
  std::vector<int32_t> acc(static_cast<size_t>(batch * 1024));
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double t = timed_loop(state, [&] {
    std::vector<int16_t>* in = &act;
    std::vector<int16_t>* out = &next;
    for (int l = 0; l < 3; ++l) {
      const int64_t n = widths[l + 1];
      kernels::bsgemm_int(in->data(), batch, widths[l], layers[static_cast<size_t>(l)], acc.data(), n);
      for (int64_t i = 0; i < batch * n; ++i) {
        (*out)[static_cast<size_t>(i)] = static_cast<int16_t>(std::clamp(acc[static_cast<size_t>(i)] >> 6, 0, 255));
      }
      std::swap(in, out);
    }
    benchmark::DoNotOptimize(in->data());
  });
  omp_set_num_threads(threads);
  if (t > 0.0) state.counters["images_per_s"] = static_cast<double>(batch) / t;
}

}  // namespace

void register_int_mlp_benchmarks() {
  for (int64_t batch : {1, 100, 1000}) {
    benchmark::RegisterBenchmark(("cpu/int_mlp_1core/batch" + std::to_string(batch)).c_str(), bm_int_mlp, batch)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->MinTime(0.2);
  }
}

}  // namespace bitblock::bench
