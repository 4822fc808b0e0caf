#!/usr/bin/python3
"""Training throughput of bitblock against PyTorch on the same network and constraints.

PyTorch trains the config's network with the constraints as masked dense layers: the same
random block masks' ratio (fixed mask, kept blocks only learn), weights quantized in the forward
(binary: sign x mean |w| per row or layer; k bits: symmetric uniform, max |w| scale) with the
straight-through gradient, activations quantized (sign, or k-bit ReLU clipped at max) with the
straight-through gradient, batch norm, max-pool, cross entropy, Adam: the work a constrained
training step does, in float32 on OpenBLAS (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1):
on these 2-vCPU guests one thread is PyTorch's fastest setting).

The two are measured alternately in one run (bitblock, PyTorch, bitblock, PyTorch, ...), each for
--seconds of training after its data is loaded, so load from other processes falls on both;
the machine's load is printed with every measurement, and the ratio of each pair is reported.
bitblock's rate is its own progress line (samples/s of the epoch so far).

Usage: bench/torch_side_by_side.py CONFIG [--set KEY=VALUE ...] [--rounds 2] [--seconds 60]
       [--threads 1] [--bitblock build/bitblock] [--data data]
Example: OPENBLAS_NUM_THREADS=1 bench/torch_side_by_side.py experiments/configs/fashion_cnn.yaml
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import yaml  # noqa: E402


def load_config(path, sets):
    with open(path) as f:
        cfg = yaml.safe_load(f)
    for s in sets:
        key, value = s.split("=", 1)
        node, parts = cfg, re.findall(r"[^.\[\]]+", key)
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        last = parts[-1]
        parsed = yaml.safe_load(value)
        if isinstance(node, list):
            node[int(last)] = parsed
        else:
            node[last] = parsed
    return cfg


def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_train(data_dir, dataset):
    if dataset in ("mnist", "fashion_mnist"):
        folder = os.path.join(data_dir, "mnist" if dataset == "mnist" else "fashion-mnist")
        def find(stem):
            for name in (stem, stem + ".gz"):
                if os.path.exists(os.path.join(folder, name)):
                    return os.path.join(folder, name)
            raise SystemExit(f"{folder}: {stem} not found")
        x = idx(find("train-images-idx3-ubyte"))[:, None, :, :]
        y = idx(find("train-labels-idx1-ubyte"))
        return x, y
    if dataset == "cifar10":
        rows = []
        for i in range(1, 6):
            with open(os.path.join(data_dir, "cifar-10-batches-bin", f"data_batch_{i}.bin"), "rb") as f:
                rows.append(np.frombuffer(f.read(), np.uint8).reshape(-1, 3073))
        r = np.concatenate(rows)
        return r[:, 1:].reshape(-1, 3, 32, 32), r[:, 0]
    raise SystemExit(f"unknown data set {dataset}")


class SteSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


def ste_round(x):
    return x + (torch.round(x) - x).detach()


class Act(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.fn, self.bits, self.max = spec.get("fn", "relu"), spec.get("bits", 32), spec.get("max", 0.0)

    def forward(self, x):
        if self.fn == "sign":
            return SteSign.apply(x)
        if self.fn == "hardtanh":
            return F.hardtanh(x)
        if self.fn == "identity":
            return x
        if self.bits == 32:
            return F.relu(x)
        step = self.max / (2 ** self.bits - 1)
        return ste_round(torch.clamp(x, 0.0, self.max) / step) * step


class Constrained(nn.Module):
    """A weight layer with its constraint as a masked dense weight."""

    def __init__(self, layer, spec, gen):
        super().__init__()
        self.layer, self.bits, self.per_row = layer, spec["weight_bits"], spec.get("scale", "per_row") == "per_row"
        self.clip = spec.get("clip", 1.0)
        w = layer.weight
        rows, cols = w.shape[0], w[0].numel()
        mask = torch.ones(rows, cols)
        ratio, structure = float(spec.get("ratio", 1)), spec.get("structure", "none")
        if structure == "block" and ratio > 1:
            br, bc = spec.get("block", [8, 8])
            nbr, nbc = -(-rows // br), -(-cols // bc)
            keep = max(1, round(nbc / ratio))
            blocks = torch.zeros(nbr, nbc)
            for i in range(nbr):
                blocks[i, torch.randperm(nbc, generator=gen)[:keep]] = 1
            mask = blocks.repeat_interleave(br, 0).repeat_interleave(bc, 1)[:rows, :cols]
        self.register_buffer("mask", mask.reshape(w.shape))

    def weight(self):
        w = self.layer.weight * self.mask
        if self.bits == 32:
            return w
        flat = w.reshape(w.shape[0], -1)
        m = self.mask.reshape(w.shape[0], -1)
        if self.bits == 1:
            counts = m.sum(1, keepdim=True).clamp(min=1) if self.per_row else m.sum().clamp(min=1)
            s = (flat.abs().sum(1, keepdim=True) if self.per_row else flat.abs().sum()) / counts
            q = torch.where(flat >= 0, s, -s) * m
            ste = flat + (q - flat).detach()
        else:
            limit = 2 ** (self.bits - 1) - 1
            s = (flat.abs().amax(1, keepdim=True) if self.per_row else flat.abs().amax()).clamp(min=1e-12) / limit
            ste = ste_round(flat / s).clamp(-limit, limit) * s * m
        return ste.reshape(w.shape)

    def forward(self, x):
        if isinstance(self.layer, nn.Conv2d):
            return F.conv2d(x, self.weight(), self.layer.bias, self.layer.stride, self.layer.padding)
        return F.linear(x, self.weight(), self.layer.bias)


def resolve(cfg, index, count):
    c = cfg.get("constraints", {})
    spec = {"weight_bits": 32, "structure": "none", "ratio": 1}
    spec.update(c.get("default", {}))
    if index == 0:
        spec.update(c.get("first", {}))
    if index == count - 1:
        spec.update(c.get("last", {}))
    return spec


def build(cfg, shape, gen):
    layers, c = [], shape[0]
    specs = cfg["model"]["layers"]
    count = sum(l["type"] in ("linear", "conv") for l in specs)
    weight_index, h, w, flat = 0, shape[1], shape[2], None
    for l in specs:
        t = l["type"]
        if t == "conv":
            k, p, s = l.get("kernel", 3), l.get("padding", 0), l.get("stride", 1)
            conv = nn.Conv2d(c, l["out"], k, s, p, bias=l.get("bias", True))
            layers.append(Constrained(conv, resolve(cfg, weight_index, count), gen))
            c, h, w = l["out"], (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            weight_index += 1
        elif t == "linear":
            lin = nn.Linear(flat, l["out"], bias=l.get("bias", True))
            layers.append(Constrained(lin, resolve(cfg, weight_index, count), gen))
            flat = l["out"]
            weight_index += 1
        elif t == "batchnorm":
            layers.append(nn.BatchNorm2d(c) if flat is None else nn.BatchNorm1d(flat))
        elif t == "act":
            layers.append(Act(l))
        elif t == "maxpool":
            k = l.get("kernel", 2)
            layers.append(nn.MaxPool2d(k, l.get("stride", k)))
            h, w = (h - k) // l.get("stride", k) + 1, (w - k) // l.get("stride", k) + 1
        elif t == "dropout":
            layers.append(nn.Dropout(l.get("p", 0.5)))
        elif t == "flatten":
            layers.append(nn.Flatten())
            flat = c * h * w
    return nn.Sequential(*layers)


def load_text():
    return open("/proc/loadavg").read().split()[0]


def torch_rate(cfg, x_all, y_all, seconds):
    torch.manual_seed(cfg.get("seed", 1))
    gen = torch.Generator().manual_seed(cfg.get("seed", 1))
    net = build(cfg, x_all.shape[1:], gen)
    opt = torch.optim.Adam(net.parameters(), lr=cfg["train"]["optimizer"].get("lr", 1e-3))
    norm = cfg.get("data", {}).get("normalize", {"mean": 0.0, "std": 1.0})
    batch = cfg["train"].get("batch_size", 100)
    order = torch.randperm(len(y_all), generator=gen)
    done, start, i = 0, time.perf_counter(), 0
    net.train()
    while time.perf_counter() - start < seconds:
        idx_ = order[(i * batch) % len(order):(i * batch) % len(order) + batch]
        x = (x_all[idx_].float() / 255.0 - norm["mean"]) / norm["std"]
        loss = F.cross_entropy(net(x), y_all[idx_])
        opt.zero_grad()
        loss.backward()
        opt.step()
        done += len(idx_)
        i += 1
    return done / (time.perf_counter() - start)


def bitblock_rate(args, out):
    cmd = [args.bitblock, "train", "--config", args.config, "--data-dir", args.data, "--out", out, "--restart",
           "--threads", str(args.threads), "--set", "train.log_every=5"] + [a for s in args.set for a in ("--set", s)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    rate, first = None, None
    for line in proc.stdout:
        m = re.search(r"batch (\d+)/.* (\d+) samples/s", line)
        if not m:
            continue
        first = first or time.perf_counter()  # training has started (data loaded)
        rate = float(m.group(2))
        if time.perf_counter() - first >= args.seconds:
            break
    proc.kill()
    proc.wait()
    if rate is None:
        raise SystemExit("bitblock printed no progress line: " + " ".join(cmd))
    return rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bitblock", default="build/bitblock")
    ap.add_argument("--data", default="data")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config, args.set)
    x, y = load_train(args.data, cfg["data"]["set"])
    x_all, y_all = torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))
    print(f"{args.config} {' '.join(args.set)}: torch {torch.__version__}, {args.threads} thread(s) each, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            b = bitblock_rate(args, os.path.join(tmp, "run"))
            lb = load_text()
            t = torch_rate(cfg, x_all, y_all, args.seconds)
            lt = load_text()
            print(f"round {r + 1}: bitblock {b:8.1f} samples/s (load {lb})  PyTorch {t:8.1f} samples/s (load {lt})  "
                  f"bitblock/PyTorch {b / t:.2f}x", flush=True)


if __name__ == "__main__":
    sys.exit(main())
