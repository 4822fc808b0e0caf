// CPU kernels against OpenBLAS cblas_sgemm on the dense masked matrix of the same shape. Each
// benchmark's "speedup" counter is baseline seconds / kernel seconds from this same process.
// The cpu_pair/ benchmarks check the targets robustly on a shared machine: they time the
// SGEMM baseline and the kernel in alternating calls, and "speedup" is the median of the
// per-pair ratios (a slow patch of the machine slows both sides of a pair).
#include <cblas.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "bitblock/kernels/bgemm.hpp"
#include "bitblock/kernels/bsgemm.hpp"
#include "bitblock/kernels/bsr_plan.hpp"
#include "bitblock/kernels/pack.hpp"

namespace bitblock::bench {
namespace {

constexpr int kBlock = 8;  // 8x8 blocks, the layout integer inference targets

// Dense baselines, one per product: forward Y = X W^T, input gradient dX = dY W, weight
// gradient dW = dY^T X.
enum class Op { Forward, BackwardInput, BackwardWeight };

const char* op_name(Op op) {
  return op == Op::Forward ? "fwd" : op == Op::BackwardInput ? "bwd_input" : "bwd_weight";
}

std::string baseline_key(Op op, const GemmShape& s) { return std::string("cpu_sgemm_") + op_name(op) + "/" + s.name(); }

struct DenseOperands {
  std::vector<float> a, w, out;
};

DenseOperands dense_operands(const GemmShape& s) {
  return {random_floats(s.M * std::max(s.K, s.N), 1), random_floats(s.N * s.K, 2),
          std::vector<float>(static_cast<size_t>(std::max(s.M * s.N, std::max(s.M * s.K, s.N * s.K))))};
}

void run_sgemm(Op op, const GemmShape& s, DenseOperands& d) {
  const auto M = static_cast<int>(s.M), N = static_cast<int>(s.N), K = static_cast<int>(s.K);
  switch (op) {
    case Op::Forward:
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, d.a.data(), K, d.w.data(), K, 0.0f,
                  d.out.data(), N);
      break;
    case Op::BackwardInput:
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, d.a.data(), N, d.w.data(), K, 0.0f,
                  d.out.data(), K);
      break;
    case Op::BackwardWeight:
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, d.a.data(), N, d.w.data(), K, 0.0f,
                  d.out.data(), K);
      break;
  }
}

double sgemm_baseline(Op op, const GemmShape& s) {
  DenseOperands d = dense_operands(s);
  return baseline(baseline_key(op, s), [&] { run_sgemm(op, s, d); });
}

void bm_sgemm(benchmark::State& state, Op op, GemmShape s) {
  DenseOperands d = dense_operands(s);
  const double t = timed_loop(state, [&] { run_sgemm(op, s, d); });
  record_baseline(baseline_key(op, s), t);
  set_counters(state, t, t, s);
}

// use_plan: the products run from a BsrPlan refreshed outside the timed loop (a training step
// refreshes it once for the forward and the input gradient); otherwise each call decodes W.
void bm_bsgemm(benchmark::State& state, Op op, GemmShape s, int ratio, int bits, bool use_plan) {
  const double base = sgemm_baseline(op, s);
  const kernels::BsrWeights w = random_bsr(s.N, s.K, kBlock, kBlock, bits, ratio, 3);
  const std::vector<float> x = random_floats(s.M * s.K, 4), dy = random_floats(s.M * s.N, 5);
  std::vector<float> out(static_cast<size_t>(std::max(s.M * s.N, s.M * s.K)));
  std::vector<float> dw(static_cast<size_t>(w.layout.kept_blocks() * w.layout.block_elems()));
  const kernels::BsrPlan plan = kernels::bsr_plan(w);
  double t = 0.0;
  switch (op) {
    case Op::Forward:
      t = use_plan ? timed_loop(state, [&] { kernels::bsgemm_forward(x.data(), s.M, s.K, plan, out.data(), s.N); })
                   : timed_loop(state, [&] { kernels::bsgemm_forward(x.data(), s.M, s.K, w, out.data(), s.N); });
      break;
    case Op::BackwardInput:
      t = use_plan
              ? timed_loop(state, [&] { kernels::bsgemm_backward_input(dy.data(), s.M, s.N, plan, out.data(), s.K); })
              : timed_loop(state, [&] { kernels::bsgemm_backward_input(dy.data(), s.M, s.N, w, out.data(), s.K); });
      break;
    case Op::BackwardWeight:
      t = timed_loop(state, [&] {
        kernels::bsgemm_backward_weight(dy.data(), s.M, s.N, x.data(), s.K, w.layout, dw.data());
      });
      break;
  }
  set_counters(state, t, base, s);
  state.counters["ratio"] = ratio;
  state.counters["bits"] = bits;
}

std::vector<uint64_t> random_signs(int64_t rows, int64_t cols, uint64_t seed) {
  const std::vector<float> v = random_floats(rows * cols, seed);
  std::vector<uint64_t> words(static_cast<size_t>(rows * kernels::sign_words(cols)));
  kernels::pack_signs(v.data(), rows, cols, cols, words.data());
  return words;
}

void bm_bgemm_binary(benchmark::State& state, GemmShape s) {
  const double base = sgemm_baseline(Op::Forward, s);
  const auto a = random_signs(s.M, s.K, 6), b = random_signs(s.N, s.K, 7);
  std::vector<int32_t> c(static_cast<size_t>(s.M * s.N));
  const double t = timed_loop(state, [&] { kernels::bgemm_binary(a.data(), s.M, b.data(), s.N, s.K, c.data(), s.N); });
  set_counters(state, t, base, s);
  state.counters["bits"] = 1;
}

void bm_bgemm_float_binary(benchmark::State& state, GemmShape s) {
  const double base = sgemm_baseline(Op::Forward, s);
  const auto x = random_floats(s.M * s.K, 8);
  const auto w = random_signs(s.N, s.K, 9);
  const auto scales = random_floats(s.N, 10);
  std::vector<float> y(static_cast<size_t>(s.M * s.N));
  const double t = timed_loop(state, [&] {
    kernels::bgemm_float_binary(x.data(), s.M, s.K, w.data(), s.N, s.K, scales.data(), y.data(), s.N);
  });
  set_counters(state, t, base, s);
  state.counters["bits"] = 1;
}

// Alternating SGEMM baseline / kernel calls (bench_common.hpp); the reported time is the kernel's.
template <typename Fn>
void paired_loop(benchmark::State& state, Op op, const GemmShape& s, Fn&& kernel) {
  DenseOperands d = dense_operands(s);
  bench::paired_loop(state, [&] { run_sgemm(op, s, d); }, kernel);
}

void bm_pair_bsgemm(benchmark::State& state, Op op, GemmShape s, int ratio, int bits, bool use_plan) {
  const kernels::BsrWeights w = random_bsr(s.N, s.K, kBlock, kBlock, bits, ratio, 3);
  const std::vector<float> x = random_floats(s.M * s.K, 4), dy = random_floats(s.M * s.N, 5);
  std::vector<float> out(static_cast<size_t>(std::max(s.M * s.N, s.M * s.K)));
  std::vector<float> dw(static_cast<size_t>(w.layout.kept_blocks() * w.layout.block_elems()));
  const kernels::BsrPlan plan = kernels::bsr_plan(w);
  paired_loop(state, op, s, [&] {
    switch (op) {
      case Op::Forward:
        if (use_plan) kernels::bsgemm_forward(x.data(), s.M, s.K, plan, out.data(), s.N);
        else kernels::bsgemm_forward(x.data(), s.M, s.K, w, out.data(), s.N);
        break;
      case Op::BackwardInput: kernels::bsgemm_backward_input(dy.data(), s.M, s.N, plan, out.data(), s.K); break;
      case Op::BackwardWeight:
        kernels::bsgemm_backward_weight(dy.data(), s.M, s.N, x.data(), s.K, w.layout, dw.data());
        break;
    }
  });
  state.counters["ratio"] = ratio;
  state.counters["bits"] = bits;
}

void bm_pair_bgemm_binary(benchmark::State& state, GemmShape s) {
  const auto a = random_signs(s.M, s.K, 6), b = random_signs(s.N, s.K, 7);
  std::vector<int32_t> c(static_cast<size_t>(s.M * s.N));
  paired_loop(state, Op::Forward, s, [&] { kernels::bgemm_binary(a.data(), s.M, b.data(), s.N, s.K, c.data(), s.N); });
  state.counters["ratio"] = 1;
  state.counters["bits"] = 1;
}

void configure(benchmark::internal::Benchmark* b) {
  b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.1);
}

}  // namespace

void register_cpu_gemm_benchmarks() {
  for (const GemmShape& s : cpu_shapes()) {
    for (Op op : {Op::Forward, Op::BackwardInput, Op::BackwardWeight}) {
      configure(benchmark::RegisterBenchmark(("cpu/sgemm_" + std::string(op_name(op)) + "/" + s.name()).c_str(),
                                             bm_sgemm, op, s));
    }
    for (int ratio : {2, 4, 8, 16}) {
      for (int bits : {1, 2, 3, 4}) {
        const std::string tag = s.name() + "/ratio" + std::to_string(ratio) + "/bits" + std::to_string(bits) + "/blk8x8";
        configure(benchmark::RegisterBenchmark(("cpu/bsgemm_fwd/" + tag).c_str(), bm_bsgemm, Op::Forward, s, ratio, bits,
                                               false));
      }
      // The plan and backward products read dequantized floats, so one code width shows their speed.
      const std::string tag = s.name() + "/ratio" + std::to_string(ratio) + "/bits3/blk8x8";
      configure(benchmark::RegisterBenchmark(("cpu/bsgemm_fwd_plan/" + tag).c_str(), bm_bsgemm, Op::Forward, s, ratio,
                                             3, true));
      configure(benchmark::RegisterBenchmark(("cpu/bsgemm_bwd_input/" + tag).c_str(), bm_bsgemm, Op::BackwardInput, s,
                                             ratio, 3, false));
      configure(benchmark::RegisterBenchmark(("cpu/bsgemm_bwd_input_plan/" + tag).c_str(), bm_bsgemm,
                                             Op::BackwardInput, s, ratio, 3, true));
      configure(benchmark::RegisterBenchmark(("cpu/bsgemm_bwd_weight/" + tag).c_str(), bm_bsgemm, Op::BackwardWeight,
                                             s, ratio, 3, false));
    }
    configure(benchmark::RegisterBenchmark(("cpu/bgemm_binary/" + s.name()).c_str(), bm_bgemm_binary, s));
    configure(benchmark::RegisterBenchmark(("cpu/bgemm_float_binary/" + s.name()).c_str(), bm_bgemm_float_binary, s));
  }
  // The CPU targets at its shape: batch 1000, 1024 x 1024, 8x compression, 3-bit.
  const GemmShape t{1000, 1024, 1024};
  auto pair = [](benchmark::internal::Benchmark* b) {
    b->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(41);
  };
  const std::string tag = t.name() + "/ratio8/bits3/blk8x8";
  pair(benchmark::RegisterBenchmark(("cpu_pair/bsgemm_fwd/" + tag).c_str(), bm_pair_bsgemm, Op::Forward, t, 8, 3, false));
  pair(benchmark::RegisterBenchmark(("cpu_pair/bsgemm_fwd_plan/" + tag).c_str(), bm_pair_bsgemm, Op::Forward, t, 8, 3,
                                    true));
  pair(benchmark::RegisterBenchmark(("cpu_pair/bsgemm_bwd_input_plan/" + tag).c_str(), bm_pair_bsgemm,
                                    Op::BackwardInput, t, 8, 3, true));
  pair(benchmark::RegisterBenchmark(("cpu_pair/bsgemm_bwd_weight/" + tag).c_str(), bm_pair_bsgemm, Op::BackwardWeight,
                                    t, 8, 3, false));
  pair(benchmark::RegisterBenchmark(("cpu_pair/bgemm_binary/" + t.name()).c_str(), bm_pair_bgemm_binary, t));
}

}  // namespace bitblock::bench
