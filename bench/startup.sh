#!/bin/bash
# Median wall time of `bitblock --help` over N runs (default 21): the fixed cost every CLI call and
# every test process pays before doing anything (dynamic loading, static initialisers).
# Usage: bench/startup.sh [BITBLOCK] [N]
set -euo pipefail
B=${1:-build/bitblock}; N=${2:-21}
[ -x "$B" ] || { echo "startup.sh: $B: not an executable (build first)" >&2; exit 2; }
python3 - "$B" "$N" <<'PY'
import statistics, subprocess, sys, time
b, n = sys.argv[1], int(sys.argv[2])
ms = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run([b, "--help"], stdout=subprocess.DEVNULL, check=True)
    ms.append((time.perf_counter() - t) * 1e3)
ms.sort()
print(f"bitblock --help: median {statistics.median(ms):.1f} ms, min {ms[0]:.1f} ms, max {ms[-1]:.1f} ms over {n} runs")
PY
