#!/usr/bin/env bash
# Constrained training throughput, packed block-sparse kernels vs dense masked OpenBLAS, measured
# in one run on the same machine: one epoch of a config with train.kernels=dense and =packed
# (same seed, so the same network and data order), samples/s from each run's metrics.csv.
# Usage: bench/train_speed.sh [config] [build dir] [data dir]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-experiments/configs/mnist_mlp_3b_8x.yaml}
build=${2:-build}
data=${3:-data}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A sps
for k in dense packed; do
  "$build/bitblock" train --config "$config" --data-dir "$data" --out "$out/$k" --quiet \
    --set train.epochs=1 --set train.kernels=$k
  sps[$k]=$(tail -n 1 "$out/$k/metrics.csv" | cut -d, -f7)
  acc=$(tail -n 1 "$out/$k/metrics.csv" | cut -d, -f6)
  printf '%-7s %8.1f samples/s  (test acc after 1 epoch %s)\n' "$k" "${sps[$k]}" "$acc"
done
awk -v p="${sps[packed]}" -v d="${sps[dense]}" 'BEGIN { printf "packed / dense = %.2fx\n", p / d }'
