#pragma once
// Shared pieces of the benchmark suite: shapes, random operands, our own wall-clock timing and
// the per-shape SGEMM baseline each kernel's "speedup" counter is divided by (measured in the
// same process; measured on demand when a filter skipped the baseline benchmark).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/kernels/bsr.hpp"

namespace bitblock::bench {

struct GemmShape {
  int64_t M, K, N;  // Y[M x N] = X[M x K] * W^T, W is N x K
  std::string name() const {
    return "M" + std::to_string(M) + "_K" + std::to_string(K) + "_N" + std::to_string(N);
  }
};

// MNIST MLP layers (784 -> 1024 -> 1024 -> 10) and the 4096 square, batch 100 and 1000.
std::vector<GemmShape> cpu_shapes();

std::vector<float> random_floats(int64_t n, uint64_t seed);
// Random codes of `bits` bits with 1/ratio of the block_rows x block_cols blocks kept in each
// block-row (at least one), and random positive row scales.
kernels::BsrWeights random_bsr(int64_t rows, int64_t cols, int block_rows, int block_cols, int bits, int ratio,
                               uint64_t seed);
// Dense float matrix of the dequantized weights (0 outside kept blocks).
std::vector<float> dense_weights(const kernels::BsrWeights& w);

// Runs fn while the state asks, returns seconds per iteration (wall clock).
template <typename Fn>
double timed_loop(benchmark::State& state, Fn&& fn) {
  int64_t iters = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    fn();
    ++iters;
  }
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  return iters ? dt.count() / static_cast<double>(iters) : 0.0;
}

// Alternating baseline / kernel calls, for robust ratios on a shared machine (a slow patch slows
// both sides of a pair): the reported time is the kernel's, "speedup" the median of the
// per-pair ratios baseline / kernel, with their 10th and 90th percentiles. Needs UseManualTime.
template <typename Base, typename Kernel>
void paired_loop(benchmark::State& state, Base&& base, Kernel&& kernel);

// Baseline seconds per call for a key ("cpu_sgemm/<shape>", ...). record() keeps the fastest
// measurement seen (repetitions of the baseline benchmark each record one), so a repetition
// slowed by a shared machine cannot inflate the speedups; baseline() returns it, measuring with
// `measure` first when absent.
void record_baseline(const std::string& key, double seconds);
template <typename Fn>
double baseline(const std::string& key, Fn&& measure);
bool has_baseline(const std::string& key);
double stored_baseline(const std::string& key);

// Sets the speedup counter (baseline / ours) and the dense-equivalent GFLOP/s.
void set_counters(benchmark::State& state, double seconds, double base_seconds, const GemmShape& s);

void register_cpu_gemm_benchmarks();
void register_cpu_csr_benchmarks();
void register_int_mlp_benchmarks();
// Registers the CUDA benchmarks when a device is present; returns false (and registers
// nothing) otherwise or in a CPU-only build.
bool register_cuda_benchmarks();

template <typename Fn>
double baseline(const std::string& key, Fn&& measure) {
  if (!has_baseline(key)) {
    // A few timed calls after one warm-up call.
    measure();
    const auto t0 = std::chrono::steady_clock::now();
    int calls = 0;
    std::chrono::duration<double> dt{};
    do {
      measure();
      ++calls;
      dt = std::chrono::steady_clock::now() - t0;
    } while (dt.count() < 0.2 && calls < 100);
    record_baseline(key, dt.count() / calls);
  }
  return stored_baseline(key);
}

template <typename Base, typename Kernel>
void paired_loop(benchmark::State& state, Base&& base, Kernel&& kernel) {
  using Clock = std::chrono::steady_clock;
  base();  // warm-up
  kernel();
  std::vector<double> ratios;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    base();
    const auto t1 = Clock::now();
    kernel();
    const auto t2 = Clock::now();
    const std::chrono::duration<double> b = t1 - t0, ours = t2 - t1;
    state.SetIterationTime(ours.count());
    ratios.push_back(b.count() / ours.count());
  }
  if (ratios.empty()) return;
  std::sort(ratios.begin(), ratios.end());
  state.counters["speedup"] = ratios[ratios.size() / 2];
  state.counters["speedup_p10"] = ratios[ratios.size() / 10];
  state.counters["speedup_p90"] = ratios[ratios.size() * 9 / 10];
}

}  // namespace bitblock::bench
