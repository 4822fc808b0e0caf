#!/usr/bin/env bash
# The one script for a lent GPU machine (H100 / H200): runs from the bundle scripts/gpu-bundle.sh
# staged (binaries, their libraries, gzipped MNIST), writes everything under $OUT (default
# ./device-out), a few files per section, and prints a summary. Sized for a few minutes.
# Sections (all by default, or name some): info tests sanitizer bench train
#   info       nvidia-smi, the device the binaries see
#   tests      the CUDA kernel and op tests (CudaKernels.*, TrainOps.*) and the framework's device
#              tests (Device.*, DeviceTraining: every layer type on CUDA vs CPU, checkpoints moved
#              between devices): they must run, not skip
#   sanitizer  compute-sanitizer memcheck on the CUDA op tests
#   bench      the CUDA GEMM benchmarks against cuBLAS SGEMM/TF32/FP16 and cuSPARSE BSR
#   train      training throughput, bitblock timing itself (samples/s of the second epoch, after the
#              first one tuned the kernel choice and captured the step): mnist_mlp_3b_8x at batch
#              100, and the cifar10_paper binary ratio-2 point at batch 50 on a CIFAR-10-shaped
#              synthetic data set (the work does not depend on pixel values; real CIFAR-10 does not
#              fit the bundle); the same MNIST run pinned to each kernel choice twice (bit
#              reproducibility); then 20 epochs of mnist_mlp_3b_8x on the GPU, whose model file is
#              evaluated integer-only on the CPU; an ncu summary of a slice of training steps.
# Usage: BUNDLE=build-gpu-bundle OUT=... bench/run_device.sh [section...]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$(cd "${BUNDLE:-$root/build-gpu-bundle}" && pwd)"
out="${OUT:-$root/device-out}"
mkdir -p "$out"
export LD_LIBRARY_PATH="$bundle/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="/usr/local/cuda/bin:$PATH"
B="$bundle/bin/bitblock"
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(info tests sanitizer bench train)
summary="$out/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
run_section() { echo "== $1 ($(date +%T))"; }

section_info() {
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
  note "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
  note "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
}

section_tests() {
  "$bundle/bin/bitblock_tests_kernels" --gtest_filter='CudaKernels.*:TrainOps.*' \
    --gtest_output="json:$out/tests_kernels.json" > "$out/tests_kernels.log" 2>&1
  note "kernel tests: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/tests_kernels.log" | tr '\n' ' ')"
  (cd "$out" && timeout 300 "$bundle/bin/bitblock_tests_framework" \
    --gtest_filter='Device.*:Networks/DeviceTraining.*' --gtest_output="json:$out/tests_framework.json") \
    > "$out/tests_framework.log" 2>&1
  note "framework device tests: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/tests_framework.log" | tr '\n' ' ')"
  grep -E '^\[  FAILED  \]|Failure' "$out/tests_kernels.log" "$out/tests_framework.log" | head -20 | tee -a "$summary"
}

section_sanitizer() {
  timeout 240 compute-sanitizer --tool memcheck "$bundle/bin/bitblock_tests_kernels" \
    --gtest_filter='TrainOps.CudaMatchesCpu:CudaKernels.*' > "$out/sanitizer.log" 2>&1
  note "compute-sanitizer: $(grep -E 'ERROR SUMMARY' "$out/sanitizer.log" | tail -1)"
}

section_bench() {
  timeout 240 "$bundle/bin/bitblock_bench" --benchmark_filter='^cuda/' --benchmark_min_time=0.05 \
    --benchmark_out="$out/bench_cuda.json" --benchmark_out_format=json > "$out/bench_cuda.log" 2>&1
  note "cuda benchmarks: $(grep -c '^cuda/' "$out/bench_cuda.log") lines in bench_cuda.log"
}

# samples/s of the last epoch of a run folder (metrics.csv column 7) and its test accuracy.
last_sps() { tail -n 1 "$1/metrics.csv" | cut -d, -f7; }
last_acc() { tail -n 1 "$1/metrics.csv" | cut -d, -f6; }

# A CIFAR-10-shaped data set of random pixels (labels 0..9) in the binary batch format.
synthetic_cifar() {
  python3 - "$1" <<'PY'
import os, sys
d = os.path.join(sys.argv[1], "cifar-10-batches-bin"); os.makedirs(d, exist_ok=True)
for name, n in [("data_batch_%d.bin" % i, 10000) for i in range(1, 6)] + [("test_batch.bin", 10000)]:
    b = bytearray(os.urandom(n * 3073))
    for r in range(n): b[r * 3073] = r % 10
    open(os.path.join(d, name), "wb").write(b)
PY
}

section_train() {
  local cfg="$root/experiments/configs" runs="$out/runs"
  mkdir -p "$runs"
  # MNIST MLP, batch 100: epoch 2's samples/s (target >= 250k on an H100/H200).
  "$B" train --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" --out "$runs/mnist_speed" --device cuda \
    --quiet --set train.epochs=2 > "$out/train_mnist_speed.log" 2>&1
  note "mnist_mlp_3b_8x batch 100 on cuda: $(last_sps "$runs/mnist_speed") samples/s (epoch 2; test acc $(last_acc "$runs/mnist_speed"))"
  grep -A3 "^kernels" "$runs/mnist_speed/log" | tail -4 >> "$summary"
  # The cifar10_paper point: binary weights, 8x8 blocks at ratio 2 on the large layers, batch 50.
  synthetic_cifar "$out/cifar_data"
  "$B" train --config "$cfg/cifar10_vgg.yaml" --data-dir "$out/cifar_data" --out "$runs/cifar_speed" --device cuda \
    --quiet --set train.epochs=2 --set train.batch_size=50 --set constraints.default.weight_bits=1 \
    --set constraints.default.structure=block --set constraints.default.block=[8,8] --set constraints.default.ratio=2 \
    --set constraints.first.structure=none --set constraints.first.ratio=1 --set constraints.first.weight_bits=8 \
    --set constraints.last.structure=none --set constraints.last.ratio=1 > "$out/train_cifar_speed.log" 2>&1
  note "cifar10_paper binary ratio 2, batch 50 on cuda: $(last_sps "$runs/cifar_speed") samples/s (epoch 2, synthetic data)"
  # Bit reproducibility: each pinned kernel choice twice, one epoch, same seed.
  for k in custom cusparse dense; do
    for rep in 1 2; do
      BITBLOCK_GPU_KERNELS=$k "$B" train --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" \
        --out "$runs/repro_${k}_$rep" --device cuda --quiet --set train.epochs=1 > /dev/null 2>&1
    done
    if cmp -s <(cut -d, -f1-6 "$runs/repro_${k}_1/metrics.csv") <(cut -d, -f1-6 "$runs/repro_${k}_2/metrics.csv"); then
      note "reproducible with BITBLOCK_GPU_KERNELS=$k: yes ($(tail -n 1 "$runs/repro_${k}_1/metrics.csv" | cut -d, -f3-6))"
    else
      note "reproducible with BITBLOCK_GPU_KERNELS=$k: NO"
    fi
  done
  # 20 epochs on the GPU (target >= 98.6%), then the model file integer-only on the CPU.
  "$B" train --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" --out "$runs/mnist_20" --device cuda \
    --quiet > "$out/train_mnist_20.log" 2>&1
  note "mnist_mlp_3b_8x 20 epochs on cuda: test acc $(last_acc "$runs/mnist_20"), $(grep -o 'integer-only test accuracy [0-9.]*%' "$runs/mnist_20/log")"
  "$B" eval --model "$runs/mnist_20/model.bbm" --data-dir "$bundle/data" > "$out/eval_model_cpu.log" 2>&1
  note "model.bbm integer-only on the CPU: $(tail -n 1 "$out/eval_model_cpu.log")"
  "$B" eval --checkpoint "$runs/mnist_20/checkpoint.bbc" --data-dir "$bundle/data" --device cpu \
    > "$out/eval_checkpoint_cpu.log" 2>&1
  note "checkpoint evaluated on the CPU: $(tail -n 1 "$out/eval_checkpoint_cpu.log")"
  # Where the time goes: ncu's summary over a slice of replayed steps.
  if command -v ncu > /dev/null; then
    timeout 180 ncu --launch-skip 400 --launch-count 60 --section SpeedOfLight "$B" train \
      --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" --out "$runs/ncu" --device cuda --quiet \
      --set train.epochs=1 > "$out/ncu_mnist.txt" 2>&1
    note "ncu: $(grep -c 'Duration' "$out/ncu_mnist.txt") kernels profiled (ncu_mnist.txt)"
  fi
  rm -rf "$out/cifar_data"
}

for s in "${sections[@]}"; do
  case "$s" in
    info|tests|sanitizer|bench|train) run_section "$s"; "section_$s" ;;
    *) echo "unknown section '$s' (info tests sanitizer bench train)" >&2; exit 2 ;;
  esac
done
echo "== summary"; cat "$summary"
