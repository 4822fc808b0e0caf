#!/usr/bin/env bash
# The one script for a lent GPU (H100 / H200). Run it from the repository root of a checkout that
# holds the bundle of scripts/gpu-bundle.sh (gpu-bundle/: binaries, their libraries, MNIST; or its
# archive gpu-bundle.tar.gz, unpacked here first):
#   bash bench/run_device.sh [section ...]        (default: every section, in order)
# Everything goes under $OUT (default ./device-out), few files (a device tool returns at most 8):
#   run.log          every section's output
#   check.md         the first section's answer to "does it work" (see section_check)
#   tests.json       GoogleTest results of bitblock_tests_kernels
#   bench_cuda.json  the CUDA benchmarks (bench/plot_cuda_speedup.sh and cuda_targets.py read it)
#   targets.md       the issue's targets, measured
#   ncu.txt          Nsight Compute sections of the main kernels on the target shapes
#   devtests.json    GoogleTest results of the framework's device tests (bitblock_tests_device)
#   train.md         training on the GPU: throughput, reproducibility, the 20-epoch run, its model
#                    file on the CPU, and ncu's view of a slice of training steps
# Sections are functions named section_<name>, listed in SECTIONS with a time limit in seconds
# that their long commands run under (run_limited); each section's output goes to run.log and a
# one-line verdict to the terminal. To add one (the CUDA backend's training run, say), write
# section_train and add "train:<seconds>" to SECTIONS. A device call runs at most 10 minutes, so
# the sections go in two calls: `check gpu tests devtests train` (the CUDA backend) and
# `sanitizer bench ncu` (the kernels), each under 10 minutes. On a short loan run `check` alone
# first (about 30 seconds): it answers "does it work" before "how fast".
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="${BUNDLE:-$root/gpu-bundle}"
out="${OUT:-$root/device-out}"
bin="$bundle/bin"
SECTIONS=(check:90 gpu:15 tests:75 devtests:90 train:300 sanitizer:120 bench:240 ncu:120)
if [ ! -d "$bundle" ] && [ -f "$bundle.tar.gz" ]; then
  tar -C "$(dirname "$bundle")" -xzf "$bundle.tar.gz"
fi
mkdir -p "$out"
log="$out/run.log"
export LD_LIBRARY_PATH="$bundle/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export PATH="/usr/local/cuda/bin:$PATH"

# First of the commands found, else nothing (ncu and compute-sanitizer live in several places).
find_tool() {
  for candidate in "$@"; do
    if command -v "$candidate" > /dev/null 2>&1; then command -v "$candidate"; return; fi
    for path in $candidate; do [ -x "$path" ] && { echo "$path"; return; }; done
  done
}

# Runs a command within the current section's time left (exit 124 when it runs out).
run_limited() {
  local left=$((deadline - $(date +%s)))
  if [ "$left" -le 0 ]; then
    echo "out of time before: $*"
    return 124
  fi
  timeout -k 5 "$left" "$@"
}

# Does it work: the tensor-core tests (every candidate against the CPU references, layouts that
# shrink and grow again on each kernel variant, the tuner rejecting a wrong candidate; none may
# skip) and 200 steps of mnist_mlp_3b_8x (one epoch at batch 300) pinned to tc_m16, with the
# tuner's log: each candidate's time and measured error as a fraction of its bound.
section_check() {
  local md="$out/check.md" runs rc=0
  runs="$(mktemp -d)"
  echo "# Check on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)" > "$md"
  run_limited "$bin/bitblock_tests_kernels" --gtest_filter='CudaTc.*:LaunchLimits.*:ResultCheck.*' > "$runs/tests.txt" 2>&1 || rc=1
  grep -E "^\[ +(OK|FAILED|SKIPPED) +\] .*\([0-9]+ ms\)$|^pinned|Failure|^\[==" "$runs/tests.txt" | sed 's/^/    /' >> "$md"
  if grep -qE "^\[ +SKIPPED +\]" "$runs/tests.txt"; then echo "- CUDA TESTS SKIPPED" >> "$md"; rc=1; fi
  BITBLOCK_GPU_KERNELS=tc_m16 run_limited "$bin/bitblock" train --config "$root/experiments/configs/mnist_mlp_3b_8x.yaml" \
    --data-dir "$bundle/data" --out "$runs/mnist" --device cuda --quiet --set train.epochs=1 \
    --set train.batch_size=300 > "$runs/train.txt" 2>&1
  local train_rc=$?
  [ "$train_rc" -eq 0 ] || rc=1
  echo "- mnist_mlp_3b_8x, 200 steps at batch 300 pinned to tc_m16: exit $train_rc, test acc $(tail -n 1 "$runs/mnist/metrics.csv" 2>/dev/null | cut -d, -f6)" >> "$md"
  grep -A4 "^kernels" "$runs/mnist/log" 2>/dev/null | sed 's/^/    /' >> "$md"
  grep -iE "warning|error" "$runs/train.txt" | head -5 | sed 's/^/    /' >> "$md"
  cat "$md"
  rm -rf "$runs"
  return "$rc"
}

section_gpu() {
  nvidia-smi || return 1
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  ls "$bin" "$bundle/lib"
}

# Every kernel test, the CUDA ones included; they must run: a skipped CUDA test fails the section.
section_tests() {
  run_limited "$bin/bitblock_tests_kernels" --gtest_output="json:$out/tests.json" | tail -40
  local rc=${PIPESTATUS[0]}
  python3 - "$out/tests.json" <<'PY' || rc=1
import json, sys
suites = json.load(open(sys.argv[1]))["testsuites"]
cuda = [t for s in suites if s["name"].startswith("Cuda") for t in s["testsuite"]]
skipped = [t["name"] for t in cuda if t.get("result") == "SKIPPED"]
failed = [t["name"] for t in cuda if t.get("failures")]
print(f"CUDA tests: {len(cuda)}, skipped {len(skipped)}, failed {len(failed)}")
if not cuda or skipped or failed:
    print("CUDA TESTS DID NOT ALL RUN AND PASS:", skipped + failed)
    sys.exit(1)
PY
  return "$rc"
}

# The framework on the GPU: devices, tensors, every layer type's CUDA training steps against the
# CPU, checkpoints moved between devices. They must run, not skip.
section_devtests() {
  local work
  work="$(mktemp -d)"
  (cd "$work" && run_limited "$bin/bitblock_tests_device" \
    --gtest_output="json:$out/devtests.json") | tail -40
  local rc=${PIPESTATUS[0]}
  rm -rf "$work"
  python3 - "$out/devtests.json" <<'PY' || rc=1
import json, sys
tests = [t for s in json.load(open(sys.argv[1]))["testsuites"] for t in s["testsuite"]]
skipped = [t["name"] for t in tests if t.get("result") == "SKIPPED"]
failed = [t["name"] for t in tests if t.get("failures")]
print(f"device tests: {len(tests)}, skipped {len(skipped)}, failed {len(failed)}")
if not tests or skipped or failed:
    print("DEVICE TESTS DID NOT ALL RUN AND PASS:", skipped + failed)
    sys.exit(1)
PY
  return "$rc"
}

# Training on the GPU, bitblock timing itself (samples/s of an epoch from metrics.csv):
#  * mnist_mlp_3b_8x at batch 100 and the cifar10_paper binary ratio-2 point at batch 50, second
#    epoch (the first tunes the kernel choice and captures the step); CIFAR-10 as a synthetic set
#    of its shape (random pixels: the work does not depend on them; the real set does not fit the
#    bundle);
#  * one epoch of mnist_mlp_3b_8x twice per pinned kernel choice: the same bits each time;
#  * 20 epochs of mnist_mlp_3b_8x, its model file integer-only on the CPU, its checkpoint on the CPU;
#  * ncu's summary of a slice of replayed training steps.
section_train() {
  local B="$bin/bitblock" cfg="$root/experiments/configs" runs rc=0
  runs="$(mktemp -d)"
  local md="$out/train.md"
  last() { tail -n 1 "$1/metrics.csv" | cut -d, -f"$2"; }
  echo "# Training on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)" > "$md"
  run_limited "$B" train --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" --out "$runs/mnist" \
    --device cuda --quiet --set train.epochs=2 || rc=1
  echo "- mnist_mlp_3b_8x, batch 100: $(last "$runs/mnist" 7) samples/s (epoch 2, test acc $(last "$runs/mnist" 6))" >> "$md"
  grep -A3 "^kernels" "$runs/mnist/log" | tail -4 | sed 's/^/    /' >> "$md"
  python3 - "$runs/cifar" <<'PY'
import os, sys
d = os.path.join(sys.argv[1], "cifar-10-batches-bin"); os.makedirs(d, exist_ok=True)
for name in ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]:
    b = bytearray(os.urandom(10000 * 3073))
    for r in range(10000): b[r * 3073] = r % 10
    open(os.path.join(d, name), "wb").write(b)
PY
  run_limited "$B" train --config "$cfg/cifar10_vgg.yaml" --data-dir "$runs/cifar" --out "$runs/cifar_run" \
    --device cuda --quiet --set train.epochs=2 --set train.batch_size=50 --set constraints.default.weight_bits=1 \
    --set constraints.default.structure=block --set constraints.default.block=[8,8] \
    --set constraints.default.ratio=2 --set constraints.first.structure=none --set constraints.first.ratio=1 \
    --set constraints.first.weight_bits=8 --set constraints.last.structure=none --set constraints.last.ratio=1 || rc=1
  echo "- cifar10_paper binary 8x8 ratio 2, batch 50: $(last "$runs/cifar_run" 7) samples/s (epoch 2, synthetic data)" >> "$md"
  grep -A8 "^kernels" "$runs/cifar_run/log" | tail -9 | sed 's/^/    /' >> "$md"
  for k in plain cusparse dense; do
    for rep in 1 2; do
      BITBLOCK_GPU_KERNELS=$k run_limited "$B" train --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" \
        --out "$runs/repro_${k}_$rep" --device cuda --quiet --set train.epochs=1 || rc=1
    done
    if cmp -s <(cut -d, -f1-6 "$runs/repro_${k}_1/metrics.csv") <(cut -d, -f1-6 "$runs/repro_${k}_2/metrics.csv"); then
      echo "- pinned $k, two runs: same bits ($(last "$runs/repro_${k}_1" 3-6))" >> "$md"
    else
      echo "- pinned $k, two runs: DIFFERENT" >> "$md"; rc=1
    fi
  done
  run_limited "$B" train --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" --out "$runs/mnist20" \
    --device cuda --quiet || rc=1
  echo "- mnist_mlp_3b_8x 20 epochs on the GPU: test acc $(last "$runs/mnist20" 6), $(last "$runs/mnist20" 7) samples/s in the last epoch; $(grep -o 'integer-only test accuracy [0-9.]*%' "$runs/mnist20/log")" >> "$md"
  echo "- its model file, integer-only on the CPU: $("$B" eval --model "$runs/mnist20/model.bbm" --data-dir "$bundle/data" 2>&1 | tail -n 1)" >> "$md"
  echo "- its checkpoint on the CPU: $("$B" eval --checkpoint "$runs/mnist20/checkpoint.bbc" --data-dir "$bundle/data" --device cpu 2>&1 | tail -n 1)" >> "$md"
  local ncu
  ncu="$(find_tool ncu /usr/local/cuda/bin/ncu '/opt/nvidia/nsight-compute/*/ncu')"
  if [ -n "$ncu" ]; then
    echo "- ncu, 60 kernels of replayed MNIST steps (SpeedOfLight):" >> "$md"
    run_limited "$ncu" --clock-control none --launch-skip 2000 --launch-count 60 --section SpeedOfLight "$B" train \
      --config "$cfg/mnist_mlp_3b_8x.yaml" --data-dir "$bundle/data" --out "$runs/ncu" --device cuda --quiet \
      --set train.epochs=1 2>&1 | grep -E "^  [a-zA-Z_].*\(|Duration|Compute \(SM\) Throughput|Memory Throughput" \
      | sed 's/^/    /' >> "$md"
  fi
  cat "$md"
  rm -rf "$runs"
  return "$rc"
}

section_sanitizer() {
  local sanitizer
  sanitizer="$(find_tool compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer)"
  [ -n "$sanitizer" ] || { echo "compute-sanitizer not found"; return 1; }
  run_limited "$sanitizer" --tool memcheck --error-exitcode 1 --print-limit 20 "$bin/bitblock_tests_kernels" \
    --gtest_filter='Cuda*' | tail -30
  return "${PIPESTATUS[0]}"
}

section_bench() {
  run_limited "$bin/bitblock_bench" --benchmark_filter='^cuda/' --benchmark_out="$out/bench_cuda.json" \
    --benchmark_out_format=json | grep -E "M1000_K4096_N4096|^-|Benchmark" | grep -E "ratio8/bits3|cublas|binary|^-|Benchmark"
  local rc=${PIPESTATUS[0]}
  python3 "$root/bench/cuda_targets.py" "$out/bench_cuda.json" > "$out/targets.md" || rc=1
  cat "$out/targets.md"
  return "$rc"
}

# Nsight Compute on the target shape (M1000 K4096 N4096, 8x8 blocks, ratio 8, 3 bits): one
# launch of each main kernel after the benchmark's warm-up and autotuning calls, with the speed-of-
# light, compute (tensor pipes), memory (shared memory, L2, DRAM), occupancy and scheduler
# sections; cuBLAS BF16 dense for comparison. Clocks left alone (--clock-control none).
section_ncu() {
  local ncu rc=0
  ncu="$(find_tool ncu /usr/local/cuda/bin/ncu '/opt/nvidia/nsight-compute/*/ncu')"
  [ -n "$ncu" ] || { echo "ncu not found"; return 1; }
  local shape=M1000_K4096_N4096 tag=M1000_K4096_N4096/ratio8/bits3/blk8x8
  local runs=(
    "tc_product_kernel:cuda/bsgemm_fwd_tc_m16/$tag"
    "tc_product_kernel:cuda/bsgemm_bwd_input_tc_m16/$tag"
    "tc_wgrad_kernel:cuda/bsgemm_bwd_weight_tc/$tag"
    "tc_binary_kernel:cuda/bgemm_binary_tc_b1/$shape"
    "tc_binary_kernel:cuda/bgemm_binary_tc_s8/$shape"
    "tc_float_binary_kernel:cuda/bgemm_float_binary_tc_bf16/$shape"
    ".:cuda/cublas_bf16/$shape"
  )
  : > "$out/ncu.txt"
  for run in "${runs[@]}"; do
    local kernel="${run%%:*}" filter="${run#*:}"
    echo "### $filter (kernel $kernel)" | tee -a "$out/ncu.txt"
    run_limited "$ncu" --clock-control none -k "regex:$kernel" --launch-skip 8 --launch-count 1 \
      --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
      --section Occupancy --section LaunchStats --section SchedulerStats \
      "$bin/bitblock_bench" --benchmark_filter="^$filter(/|\$)" >> "$out/ncu.txt" 2>&1 || rc=1
  done
  grep -E "^### |Duration|Compute \(SM\) Throughput|Memory Throughput|DRAM Throughput|L2 Cache Throughput|Achieved Occupancy|Registers Per|Shared Memory Configuration Size" "$out/ncu.txt"
  return "$rc"
}

# --- CIFAR-10 training on the GPU (issue 18): cifar10_paper's binary 8x8 ratio-2 point at batch 50
# and cifar10_small's float and binary block-2 points, one epoch each, on real CIFAR-10 images from
# $bundle/data/cifar-10-batches-bin. A device call carries at most 64 MiB, so a bundle may hold only
# data_batch_1.bin and test_batch.bin (10,000 + 10,000 images, 61 MB): batch 1 then stands in for
# batches 2..5 (throughput only; the accuracy is not CIFAR-10's). The full 139 MB set is staged
# over several calls into the same folder. Writes cifar.md.
section_cifar() {
  local B="$bin/bitblock" cfg="$root/experiments/configs" src="$bundle/data/cifar-10-batches-bin" rc=0 runs note=""
  local md="$out/cifar.md"
  if [ ! -f "$src/data_batch_1.bin" ] || [ ! -f "$src/test_batch.bin" ]; then
    echo "no CIFAR-10 in $src (data_batch_1.bin and test_batch.bin at least): skipped" | tee "$md"
    return 0
  fi
  runs="$(mktemp -d)"
  mkdir -p "$runs/data/cifar-10-batches-bin"
  for i in 1 2 3 4 5; do
    if [ -f "$src/data_batch_$i.bin" ]; then
      ln -s "$src/data_batch_$i.bin" "$runs/data/cifar-10-batches-bin/data_batch_$i.bin"
    else
      ln -s "$src/data_batch_1.bin" "$runs/data/cifar-10-batches-bin/data_batch_$i.bin"
      note=" (batch 1 repeated for the missing batches: throughput only)"
    fi
  done
  ln -s "$src/test_batch.bin" "$runs/data/cifar-10-batches-bin/test_batch.bin"
  last() { tail -n 1 "$1/metrics.csv" | cut -d, -f"$2"; }
  local block2=(--set constraints.default.weight_bits=1 --set constraints.default.structure=block
                --set constraints.default.block=[8,8] --set constraints.default.ratio=2)
  echo "# CIFAR-10 on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)$note" > "$md"
  run_limited "$B" train --config "$cfg/cifar10_vgg.yaml" --data-dir "$runs/data" --out "$runs/paper" --device cuda \
    --quiet --set train.epochs=1 --set train.batch_size=50 "${block2[@]}" --set constraints.first.structure=none \
    --set constraints.first.ratio=1 --set constraints.first.weight_bits=8 --set constraints.last.structure=none \
    --set constraints.last.ratio=1 || rc=1
  echo "- cifar10_paper binary 8x8 ratio 2, batch 50: $(last "$runs/paper" 7) samples/s (test acc $(last "$runs/paper" 6))" >> "$md"
  run_limited "$B" train --config "$cfg/cifar10_small.yaml" --data-dir "$runs/data" --out "$runs/small_float" \
    --device cuda --quiet --set train.epochs=1 || rc=1
  echo "- cifar10_small float, batch 100: $(last "$runs/small_float" 7) samples/s (test acc $(last "$runs/small_float" 6))" >> "$md"
  run_limited "$B" train --config "$cfg/cifar10_small.yaml" --data-dir "$runs/data" --out "$runs/small_block2" \
    --device cuda --quiet --set train.epochs=1 "${block2[@]}" || rc=1
  echo "- cifar10_small binary 8x8 ratio 2, batch 100: $(last "$runs/small_block2" 7) samples/s (test acc $(last "$runs/small_block2" 6))" >> "$md"
  grep -A8 "^kernels" "$runs/paper/log" | tail -9 | sed 's/^/    /' >> "$md"
  cat "$md"
  rm -rf "$runs"
  return "$rc"
}
SECTIONS+=(cifar:420)

status=0
requested=("$@")
for entry in "${SECTIONS[@]}"; do
  name="${entry%%:*}" limit="${entry#*:}"
  if [ ${#requested[@]} -gt 0 ] && ! printf '%s\n' "${requested[@]}" | grep -qx "$name"; then continue; fi
  echo "=== $name (limit ${limit}s) ===" >> "$log"
  start=$(date +%s)
  deadline=$((start + limit))
  ("section_$name") >> "$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  case $rc in
    0) verdict="ok" ;;
    124) verdict="TIMED OUT after ${limit}s"; status=1 ;;
    *) verdict="FAILED (exit $rc)"; status=1 ;;
  esac
  echo "=== $name: $verdict, ${took}s ===" | tee -a "$log"
done
echo "--- tail of run.log ---"
tail -c 6000 "$log"
exit $status
