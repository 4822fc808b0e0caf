#!/usr/bin/env python3
"""Markdown tables of the median 'speedup' counters from a bitblock_bench JSON file
(--benchmark_repetitions=N --benchmark_out=FILE --benchmark_out_format=json).

usage: speedup_table.py bench.json
One table per kernel family: rows = shape, columns = ratio (and bits for the forward)."""
import json
import re
import sys
from collections import defaultdict


def medians(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median" or "speedup" not in b:
            continue
        name = re.sub(r"/min_time:[^/]*|/real_time.*$", "", b["run_name"])
        out[name] = b["speedup"]
    return out


def main():
    table = defaultdict(dict)  # (family, shape) -> column -> speedup
    for name, speedup in medians(sys.argv[1]).items():
        parts = name.split("/")
        family, shape = parts[1], parts[2]
        column = "/".join(p for p in parts[3:] if p != "blk8x8") or "-"
        table[(family, shape)][column] = speedup
    families = sorted({f for f, _ in table if not f.startswith("sgemm")})  # baselines are 1.00
    for family in families:
        shapes = sorted({s for f, s in table if f == family}, key=lambda s: [int(x) for x in re.findall(r"\d+", s)])
        columns = sorted({c for (f, _), cols in table.items() if f == family for c in cols},
                         key=lambda c: [int(x) for x in re.findall(r"\d+", c)])
        print(f"\n**{family}** (speedup vs cblas_sgemm, median of repetitions)\n")
        print("| shape | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for s in shapes:
            cells = [f"{table[(family, s)][c]:.2f}" if c in table[(family, s)] else "" for c in columns]
            print(f"| {s} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
