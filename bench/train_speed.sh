#!/usr/bin/env bash
# Constrained training throughput, compact kept-weight kernels (train.kernels=packed) vs dense
# masked OpenBLAS (train.kernels=dense), measured in one run on the same machine: one epoch of
# each case with both kernel choices (same seed, so the same network and data order), samples/s
# from each run's metrics.csv (training loop only).
# Cases: the mnist_paper points at 3 bits and ratio 8 (base config mnist_mlp_3b_8x.yaml):
#   block   8x8 blocks (the config as it is)      row      structure row
#   column  structure column                      element  structure element (trains dense either way)
# Usage: bench/train_speed.sh [case...]     (default: all four; CONFIG, BUILD, DATA override the
#        config file, build dir and data dir; the cases' --set overrides apply to any MNIST MLP config)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-experiments/configs/mnist_mlp_3b_8x.yaml}
build=${BUILD:-build}
data=${DATA:-data}
declare -A structure=([block]=block [row]=row [column]=column [element]=element)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(block row column element)
for c in "${cases[@]}"; do
  [ -n "${structure[$c]:-}" ] || { echo "unknown case '$c' (block, row, column, element)" >&2; exit 2; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "config: $config, 1 epoch per run"
for c in "${cases[@]}"; do
  declare -A sps=() acc=()
  for k in dense packed; do
    "$build/bitblock" train --config "$config" --data-dir "$data" --out "$out/$c-$k" --quiet \
      --set train.epochs=1 --set train.kernels=$k --set constraints.default.structure="${structure[$c]}"
    sps[$k]=$(tail -n 1 "$out/$c-$k/metrics.csv" | cut -d, -f7)
    acc[$k]=$(tail -n 1 "$out/$c-$k/metrics.csv" | cut -d, -f6)
  done
  path=$(sed -n 's/.*kernels (packed): //p' "$out/$c-packed/log")
  awk -v c="$c" -v d="${sps[dense]}" -v p="${sps[packed]}" -v ad="${acc[dense]}" -v ap="${acc[packed]}" \
    'BEGIN { printf "%-8s dense %8.1f  packed %8.1f samples/s  packed/dense %.2fx  (test acc %s / %s)\n", c, d, p, p / d, ad, ap }'
  echo "         packed run: $path"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
