#!/usr/bin/env python3
"""The issue's GPU targets, checked from one bitblock_bench JSON file (bench/run_device.sh):
usage: cuda_targets.py bench_cuda.json  -> a Markdown table, one row per target."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cuda_json  # noqa: E402

BIG = "M1000_K4096_N4096"
SMALL = ["M100_K784_N1024", "M100_K1024_N1024", "M100_K4096_N4096"]


def main():
    try:
        runs = cuda_json.load(sys.argv[1])
    except (OSError, ValueError) as e:
        sys.exit(f"cuda_targets: cannot read {sys.argv[1]}: {e}")
    if not any(name.startswith("cuda/") for name in runs):
        sys.exit(f"cuda_targets: no cuda/ benchmarks in {sys.argv[1]}")

    def get(family, shape, ratio=8, bits=3):
        suffix = f"/ratio{ratio}/bits{bits}/blk8x8" if ratio else ""
        return runs.get(f"cuda/{family}/{shape}{suffix}")

    rows = []

    def check(what, value, target, ok, detail):
        rows.append((what, "-" if value is None else f"{value:.2f}x", target,
                     "n/a" if value is None else ("PASS" if ok else "MISS"), detail))

    fwd = get("bsgemm_fwd_tc", BIG)
    v = fwd and fwd.get("vs_bf16")
    check(f"forward {BIG} r8 3-bit vs cuBLAS BF16 dense", v, ">= 1x", v is not None and v >= 1.0,
          fwd and f"{fwd['us']:.1f} us ({fwd['label']})")
    v = fwd and fwd.get("vs_cusparse")
    check(f"forward {BIG} r8 3-bit vs cuSPARSE BSR", v, ">= 5x", v is not None and v >= 5.0,
          fwd and f"{fwd['us']:.1f} us")
    for fam in ("bsgemm_bwd_input_tc", "bsgemm_bwd_weight_tc"):
        r = get(fam, BIG)
        v = fwd and r and fwd["us"] / r["us"]
        check(f"{fam} {BIG} vs the forward time", v, ">= 0.67x (within 1.5x)", v is not None and v >= 1 / 1.5,
              r and f"{r['us']:.1f} us ({r['label']})")
    for shape in SMALL:
        r = get("bsgemm_fwd_tc", shape)
        v = r and r.get("vs_cusparse")
        check(f"forward {shape} r8 3-bit vs cuSPARSE BSR", v, ">= 2x", v is not None and v >= 2.0,
              r and f"{r['us']:.1f} us ({r['label']})")
    best = None
    for impl in ("tc_b1", "tc_s8"):
        r = get(f"bgemm_binary_{impl}", BIG, ratio=None)
        if r and (best is None or r["us"] < best[1]["us"]):
            best = (impl, r)
    v = best and best[1].get("vs_fp16")
    check(f"binary x binary {BIG} vs cuBLAS FP16 dense", v, ">= 2x", v is not None and v >= 2.0,
          best and f"{best[1]['us']:.1f} us ({best[0]})")
    r = get("bgemm_float_binary_tc_bf16", BIG, ratio=None)
    v = r and r.get("vs_fp16")
    check(f"float x binary {BIG} vs cuBLAS FP16 dense", v, "(no target)", True, r and f"{r['us']:.1f} us")

    print("| target | measured | wanted | | detail |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(x) if x else "" for x in row) + " |")


if __name__ == "__main__":
    main()
