#!/usr/bin/env bash
# Constrained training throughput, the kept-weights path (train.kernels=kept) vs dense
# masked OpenBLAS (train.kernels=dense), measured in one run on the same machine: one epoch of
# each case with both kernel choices (same seed, so the same network and data order), samples/s
# from each run's metrics.csv (training loop only).
# Cases: the mnist_paper points at 3 bits and ratio 8 (mnist_mlp_3b_8x.yaml with the structure set)
#   block   8x8 blocks          row      structure row
#   column  structure column    element  structure element
# and fashion: fashion_cnn.yaml as it is (4 bits, 8x8 blocks at ratio 4 on the second conv and
# the hidden linear layer; the first conv and the output layer dense).
# Usage: bench/train_speed.sh [case...]   (default: all five; BUILD and DATA override the build
#        and data dirs)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
data=${DATA:-data}
mnist=experiments/configs/mnist_mlp_3b_8x.yaml
declare -A config=([block]=$mnist [row]=$mnist [column]=$mnist [element]=$mnist
                   [fashion]=experiments/configs/fashion_cnn.yaml)
declare -A structure=([block]=block [row]=row [column]=column [element]=element [fashion]=block)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(block row column element fashion)
for c in "${cases[@]}"; do
  [ -n "${config[$c]:-}" ] || { echo "unknown case '$c' (block, row, column, element, fashion)" >&2; exit 2; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${cases[@]}"; do
  declare -A sps=() acc=()
  for k in dense kept; do
    "$build/bitblock" train --config "${config[$c]}" --data-dir "$data" --out "$out/$c-$k" --quiet \
      --set train.epochs=1 --set train.kernels=$k --set constraints.default.structure="${structure[$c]}"
    sps[$k]=$(tail -n 1 "$out/$c-$k/metrics.csv" | cut -d, -f7)
    acc[$k]=$(tail -n 1 "$out/$c-$k/metrics.csv" | cut -d, -f6)
  done
  path=$(sed -n 's/.*kernels (kept): //p' "$out/$c-kept/log")
  awk -v c="$c" -v d="${sps[dense]}" -v p="${sps[kept]}" -v ad="${acc[dense]}" -v ap="${acc[kept]}" \
    'BEGIN { printf "%-8s dense %8.1f  kept %8.1f samples/s  kept/dense %.2fx  (test acc %s / %s)\n", c, d, p, p / d, ad, ap }'
  echo "         ${config[$c]}, kept run: $path; load now: $(cut -d' ' -f1-3 /proc/loadavg)"
done
