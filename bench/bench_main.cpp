// bitblock_bench: CPU kernels against OpenBLAS SGEMM, integer MLP throughput, and (with a CUDA
// device) GPU kernels against cuBLAS / cuSPARSE. Use --benchmark_filter to pick subsets.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "bench_common.hpp"

int main(int argc, char** argv) {
  bitblock::bench::register_cpu_gemm_benchmarks();
  bitblock::bench::register_cpu_csr_benchmarks();
  bitblock::bench::register_int_mlp_benchmarks();
  if (!bitblock::bench::register_cuda_benchmarks()) {
    std::fprintf(stderr, "bitblock_bench: no CUDA device; CUDA benchmarks not registered\n");
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
