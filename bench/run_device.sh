#!/usr/bin/env bash
# On a machine with a CUDA GPU (e.g. a lent H100): configure + build Release with CUDA, run the
# CUDA kernel tests and the CUDA benchmarks, write logs and JSON under $OUT (default ./device-out).
# Sized to finish in about 8 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/device-out}"
build="$root/build-device"
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  > "$out/configure.log" 2>&1
ninja -C "$build" -j"$(nproc)" bitblock_tests_kernels bitblock_bench > "$out/build.log" 2>&1
# Kernel tests: CUDA ones against the CPU references (they must run, not skip, here).
"$build/tests/bitblock_tests_kernels" --gtest_output="json:$out/tests_kernels.json" > "$out/tests_kernels.log" 2>&1 \
  || echo "kernel tests FAILED (see tests_kernels.log)"
grep -E "CudaKernels|PASSED|FAILED|SKIPPED" "$out/tests_kernels.log" | tail -20
# CUDA benchmarks only (CPU ones are measured on the CPU machine).
timeout 300 "$build/bitblock_bench" --benchmark_filter='^cuda/' --benchmark_out="$out/bench_cuda.json" \
  --benchmark_out_format=json > "$out/bench_cuda.log" 2>&1 || echo "benchmarks stopped early (see bench_cuda.log)"
tail -5 "$out/bench_cuda.log"
