#!/usr/bin/env bash
# Speedup-vs-ratio plots (one line per code width) from a bitblock_bench CSV file (single runs,
# or the medians of --benchmark_repetitions):
#   bitblock_bench --benchmark_out=bench.csv --benchmark_out_format=csv
#   bench/plot_speedup.sh bench.csv plots/
# writes plots/<kernel>_<shape>.png for every benchmark that has ratio and bits counters.
set -euo pipefail
csv="$1"
dir="${2:-plots}"
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Column positions from the CSV header; names look like "cpu/bsgemm_fwd/M1000_K1024_N1024/ratio8/bits3/...".
awk -F, -v tmp="$tmp" '
  /^name,/ { for (i = 1; i <= NF; ++i) { h = $i; gsub(/"/, "", h); col[h] = i } header = 1; next }
  header && col["ratio"] && col["speedup"] {
    name = $1; gsub(/"/, "", name)
    if (name ~ /_(mean|stddev|cv)$/) next  # with --benchmark_repetitions: plot the medians
    ratio = $col["ratio"]; bits = $col["bits"]; speedup = $col["speedup"]
    if (ratio == "" || bits == "" || speedup == "") next
    n = split(name, part, "/")
    kernel = part[1] "_" part[2]; shape = part[3]
    key = kernel "__" shape
    print ratio, speedup > (tmp "/" key "__bits" bits ".dat")
    seen[key] = 1
  }
  END { for (k in seen) print k > (tmp "/keys") }' "$csv"
[ -f "$tmp/keys" ] || { echo "no ratio/bits benchmarks in $csv" >&2; exit 1; }
while read -r key; do
  plot=""
  for f in "$tmp/${key}__bits"*.dat; do
    bits="${f##*__bits}"; bits="${bits%.dat}"
    sort -n "$f" -o "$f"
    plot="${plot}${plot:+, }'$f' using 1:2 with linespoints title '${bits}-bit'"
  done
  gnuplot <<GP
set terminal pngcairo size 800,500 noenhanced
set output '$dir/${key//__/_}.png'
set title '${key//__/ } : speedup over dense baseline'
set xlabel 'compression ratio'
set ylabel 'speedup (x)'
set logscale x 2
set grid
set key left top
plot $plot
GP
done < "$tmp/keys"
echo "plots written to $dir"
