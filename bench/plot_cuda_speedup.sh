#!/usr/bin/env bash
# Speedup-vs-ratio plots of the CUDA block-sparse kernels, one line per code width, from the
# bitblock_bench JSON of bench/run_device.sh:
#   bench/plot_cuda_speedup.sh bench_cuda.json bench/plots
# writes <dir>/cuda_<product>_<shape>.png for the forward, input-gradient and weight-gradient
# products: the tensor-core kernel (tc, per bit width), the plain CUDA kernel and cuSPARSE BSR,
# each as speedup over cuBLAS BF16 dense GEMM of the same shape (same run; 1 = break-even).
set -euo pipefail
json="$1"
dir="${2:-plots}"
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
here="$(cd "$(dirname "$0")" && pwd)"
python3 - "$json" "$tmp" "$here" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[3])
import cuda_json
runs, tmp = cuda_json.load(sys.argv[1]), sys.argv[2]
series = {}
for name, r in runs.items():
    p = cuda_json.parse(name)
    if not p or p[2] is None or "vs_bf16" not in r:
        continue
    family, shape, ratio, bits = p
    for product in ("bsgemm_fwd", "bsgemm_bwd_input", "bsgemm_bwd_weight"):
        if family == product + "_tc":
            line = f"tc {bits}-bit" if product != "bsgemm_bwd_weight" else "tc"
        elif family == product + "_plain":
            line = "plain CUDA (fp32)"
        elif family == "cusparse_bsrmm" and product == "bsgemm_fwd":
            line = "cuSPARSE BSR (fp32)"
        else:
            continue
        series.setdefault((product, shape), {}).setdefault(line, []).append((ratio, r["vs_bf16"]))
with open(os.path.join(tmp, "keys"), "w") as keys:
    for (product, shape), lines in sorted(series.items()):
        key = f"{product}_{shape}"
        keys.write(key + "\n")
        with open(os.path.join(tmp, key + ".plot"), "w") as plot:
            for i, (line, points) in enumerate(sorted(lines.items())):
                dat = os.path.join(tmp, f"{key}_{i}.dat")
                with open(dat, "w") as f:
                    for ratio, v in sorted(points):
                        f.write(f"{ratio} {v}\n")
                dash = 2 if "cuSPARSE" in line else 3 if "plain" in line else 1
                plot.write(f"'{dat}' using 1:2 with linespoints dashtype {dash} title '{line}'\n")
PY
[ -s "$tmp/keys" ] || { echo "no cuda block-sparse benchmarks in $json" >&2; exit 1; }
while read -r key; do
  plot="$(paste -sd, "$tmp/$key.plot" | sed 's/,/, /g')"
  gnuplot <<GP
set terminal pngcairo size 900,550 noenhanced
set output '$dir/cuda_${key}.png'
set title '${key}, 8x8 blocks: speedup over cuBLAS BF16 dense'
set xlabel 'compression ratio (1 in r blocks kept)'
set ylabel 'speedup (x)'
set logscale x 2
set logscale y 2
set grid
set key outside right top
plot $plot, 1 with lines lc rgb 'black' dashtype 4 title 'cuBLAS BF16 dense'
GP
done < "$tmp/keys"
echo "plots written to $dir"
