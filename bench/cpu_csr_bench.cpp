// Element sparsity: the CSR training products (kernels/csr.hpp) against the dense masked
// baseline, OpenBLAS cblas_sgemm over the whole matrix, for the MNIST MLP's two large layers at
// batch 100 and ratios 2..16 (random element selection: round(K / ratio) kept weights per row).
// Paired timing (bench_common.hpp): csr_fwd, csr_bwd_input and csr_bwd_weight each against the
// SGEMM of the same product, and csr_step (all three) against the three SGEMMs of a step.
#include <cblas.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "bitblock/kernels/csr.hpp"

namespace bitblock::bench {
namespace {

enum class Product { Forward, BackwardInput, BackwardWeight, Step };

const char* product_name(Product p) {
  switch (p) {
    case Product::Forward: return "fwd";
    case Product::BackwardInput: return "bwd_input";
    case Product::BackwardWeight: return "bwd_weight";
    default: return "step";
  }
}

// The element mask of random selection: every row keeps round(K / ratio) of its weights.
kernels::CsrPlan random_element_plan(int64_t rows, int64_t cols, int ratio, uint64_t seed) {
  Rng rng(seed);
  const auto keep = std::max<int64_t>(1, std::llround(static_cast<double>(cols) / ratio));
  std::vector<uint8_t> mask(static_cast<size_t>(rows * cols), 0);
  std::vector<int64_t> order(static_cast<size_t>(cols));
  for (int64_t n = 0; n < rows; ++n) {
    std::iota(order.begin(), order.end(), 0);
    shuffle(order.data(), static_cast<uint64_t>(cols), rng);
    for (int64_t t = 0; t < keep; ++t) mask[static_cast<size_t>(n * cols + order[static_cast<size_t>(t)])] = 1;
  }
  return kernels::csr_plan(kernels::bsr_layout_from_mask(mask.data(), rows, cols, 1, 1));
}

void bm_pair_csr(benchmark::State& state, Product product, GemmShape s, int ratio) {
  const auto M = static_cast<int>(s.M), N = static_cast<int>(s.N), K = static_cast<int>(s.K);
  const kernels::CsrPlan plan = random_element_plan(s.N, s.K, ratio, 3);
  const std::vector<float> x = random_floats(s.M * s.K, 4), dy = random_floats(s.M * s.N, 5);
  const std::vector<float> w = random_floats(s.N * s.K, 6), kept = random_floats(plan.kept(), 7);
  std::vector<float> y(static_cast<size_t>(s.M * s.N)), dx(static_cast<size_t>(s.M * s.K));
  std::vector<float> dw(static_cast<size_t>(s.N * s.K)), dw_kept(static_cast<size_t>(plan.kept()));
  const bool fwd = product == Product::Forward || product == Product::Step;
  const bool bwd_input = product == Product::BackwardInput || product == Product::Step;
  const bool bwd_weight = product == Product::BackwardWeight || product == Product::Step;
  auto dense = [&] {
    if (fwd) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x.data(), K, w.data(), K, 0.0f, y.data(), N);
    if (bwd_input)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, dy.data(), N, w.data(), K, 0.0f, dx.data(), K);
    if (bwd_weight)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, dy.data(), N, x.data(), K, 0.0f, dw.data(), K);
  };
  auto sparse = [&] {
    if (fwd) kernels::csr_forward(x.data(), s.M, s.K, plan, kept.data(), y.data(), s.N);
    if (bwd_input) kernels::csr_backward_input(dy.data(), s.M, s.N, plan, kept.data(), dx.data(), s.K);
    if (bwd_weight) kernels::csr_backward_weight(dy.data(), s.M, s.N, x.data(), s.K, plan, dw_kept.data());
  };
  paired_loop(state, dense, sparse);
  state.counters["ratio"] = ratio;
}

}  // namespace

void register_cpu_csr_benchmarks() {
  for (const GemmShape& s : {GemmShape{100, 784, 1024}, GemmShape{100, 1024, 1024}}) {
    for (Product p : {Product::Forward, Product::BackwardInput, Product::BackwardWeight, Product::Step}) {
      for (int ratio : {2, 4, 8, 16}) {
        const std::string name = std::string("cpu_pair/csr_") + product_name(p) + "/" + s.name() + "/ratio" +
                                 std::to_string(ratio);
        benchmark::RegisterBenchmark(name.c_str(), bm_pair_csr, p, s, ratio)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond)
            ->Iterations(201);  // many short pairs: medians hold on a loaded machine
      }
    }
  }
}

}  // namespace bitblock::bench
