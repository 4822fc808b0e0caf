"""Reads bitblock_bench JSON output (the cuda/ benchmarks): name -> record with the time in
microseconds and the counters. Shared by cuda_targets.py and plot_cuda_speedup.sh."""
import json
import re


def load(path):
    with open(path) as f:
        text = f.read()
    try:
        data = json.loads(text)
    except ValueError:
        # A run stopped by its time limit leaves the benchmarks written so far, unterminated.
        data = json.loads(text.rstrip().rstrip(",") + "\n]\n}")
    out = {}
    for b in data["benchmarks"]:
        if b.get("error_occurred") or b.get("aggregate_name") not in (None, "median"):
            continue
        name = re.sub(r"/(min_time|manual_time|real_time|repeats)[^/]*", "", b.get("run_name", b["name"]))
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
        rec = {k: v for k, v in b.items() if isinstance(v, (int, float))}
        rec["us"] = b["real_time"] * scale
        rec["label"] = b.get("label", "")
        out[name] = rec
    return out


def parse(name):
    """cuda/<family>/<shape>[/ratio<r>/bits<b>/blk8x8] -> (family, shape, ratio, bits)."""
    parts = name.split("/")
    if len(parts) < 3 or parts[0] != "cuda":
        return None
    ratio = bits = None
    for p in parts[3:]:
        if p.startswith("ratio"):
            ratio = int(p[5:])
        elif p.startswith("bits"):
            bits = int(p[4:])
    return parts[1], parts[2], ratio, bits
