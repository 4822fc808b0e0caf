"""Checks an exported QONNX file against the model file and the ONNX file's logits:
  python3 qonnx_check.py <model.qonnx> <summary.json of `bitblock summary --model --json`>
                         <images idx[.gz]> <ORT logits csv of the ONNX export>
- onnx.checker passes;
- every weight Quant / BipolarQuant node carries the stage's bit width from the model file
  (narrow signed range, scale 1: the codes), activation Quant nodes the activation bits, and each
  weight tensor's annotation names the sparsity structure of the stage;
- executing the graph with the QONNX op definitions below (float32 numpy, written from the QONNX
  specification: Quant, BipolarQuant, MultiThreshold) gives the ONNX file's logits on every image.
Exit 1 on any difference."""
import gzip
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def read_idx(path):
    data = open(path, "rb").read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


# --- QONNX op definitions (qonnx.custom_op.general) ---
def quant(x, scale, zeropt, bitwidth, signed, narrow, rounding_mode):
    y = x / scale + zeropt
    y = {"ROUND": np.round, "FLOOR": np.floor, "CEIL": np.ceil}[rounding_mode](y)  # ROUND: half to even
    if signed:
        lo = -(2.0 ** (bitwidth - 1)) + (1 if narrow else 0)
        hi = 2.0 ** (bitwidth - 1) - 1
    else:
        lo, hi = 0.0, 2.0 ** bitwidth - 1 - (1 if narrow else 0)
    return ((np.clip(y, lo, hi) - zeropt) * scale).astype(np.float32)


def bipolar_quant(x, scale):
    return (np.where(x >= 0, 1.0, -1.0) * scale).astype(np.float32)


def multithreshold(x, thresholds, out_scale, out_bias):
    # Per channel (axis 1): the number of thresholds x is greater than or equal to.
    count = np.zeros(x.shape, np.float32)
    for c in range(x.shape[1]):
        t = thresholds[c]
        if np.all(t[1:] >= t[:-1]):  # sorted: the count is a binary search (fast, same number)
            count[:, c] = np.searchsorted(t, x[:, c], side="right")
        else:
            count[:, c] = (x[:, c][..., None] >= t).sum(axis=-1)
    return (out_scale * count + out_bias).astype(np.float32)


# --- the standard ops the exporter uses ---
def conv(x, w, pads, strides):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    p, s = pads[0], strides[0]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    cols = np.empty((n, c, k, k, oh, ow), np.float32)
    for ky in range(k):
        for kx in range(k):
            cols[:, :, ky, kx] = xp[:, :, ky:ky + s * (oh - 1) + 1:s, kx:kx + s * (ow - 1) + 1:s]
    y = np.matmul(w.reshape(o, -1).astype(np.float32), cols.reshape(n, c * k * k, oh * ow))
    return y.reshape(n, o, oh, ow).astype(np.float32)


def max_pool(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = None
    for dy in range(k):
        for dx in range(k):
            v = x[:, :, dy:dy + s * (oh - 1) + 1:s, dx:dx + s * (ow - 1) + 1:s]
            out = v if out is None else np.maximum(out, v)
    return out


NP_TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64}


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model, pixels):
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env["pixels"] = pixels
    for node in model.graph.node:
        a = attrs(node)
        x = [env[i] for i in node.input]
        op = node.op_type
        if op == "Quant":
            y = quant(x[0], x[1], x[2], x[3], a["signed"], a["narrow"], a["rounding_mode"].decode())
        elif op == "BipolarQuant":
            y = bipolar_quant(x[0], x[1])
        elif op == "MultiThreshold":
            y = multithreshold(x[0], x[1], a["out_scale"], a["out_bias"])
        elif op == "MatMul":
            y = np.matmul(x[0], x[1]).astype(np.float32)
        elif op == "Conv":
            y = conv(x[0], x[1], a["pads"], a["strides"])
        elif op == "MaxPool":
            y = max_pool(x[0], a["kernel_shape"][0], a["strides"][0])
        elif op == "Flatten":
            y = x[0].reshape(x[0].shape[0], -1)
        elif op == "Mul":
            y = x[0] * x[1]
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "Cast":
            y = x[0].astype(NP_TYPES[a["to"]])
        elif op == "Slice":
            starts, ends, axes, steps = x[1:5]
            index = [slice(None)] * x[0].ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                index[ax] = slice(s, e, st)
            y = x[0][tuple(index)]
        elif op == "Max":
            y = x[0]
            for v in x[1:]:
                y = np.maximum(y, v)
        else:
            raise SystemExit(f"unexpected op {op} in the QONNX graph")
        if y.dtype == np.float64:
            y = y.astype(np.float32)
        env[node.output[0]] = y
    return env["logits_int64"], env


def main():
    qonnx_path, summary_path, images_path, ort_path = sys.argv[1:5]
    model = onnx.load(qonnx_path)
    onnx.checker.check_model(model)
    summary = json.load(open(summary_path))
    stages = summary["stages"]
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    notes = {a.tensor_name: {e.key: e.value for e in a.quant_parameter_tensor_names}
             for a in model.graph.quantization_annotation}
    problems = []
    weight_nodes = [n for n in model.graph.node if n.input and n.input[0].endswith(".weight")]
    if len(weight_nodes) != len(stages):
        problems.append(f"{len(weight_nodes)} weight quantizers for {len(stages)} stages")
    for node, st in zip(weight_nodes, stages):
        bits = st["bits"]
        if bits == 1:
            ok = node.op_type == "BipolarQuant" and float(inits[node.input[1]]) == 1.0
        else:
            a = attrs(node)
            ok = (node.op_type == "Quant" and float(inits[node.input[3]]) == bits and a["signed"] == 1 and a["narrow"] == 1
                  and float(inits[node.input[1]]) == 1.0 and float(inits[node.input[2]]) == 0.0)
        sparsity = json.loads(notes.get(node.input[0], {}).get("tensor_sparsity", "{}"))
        if not ok:
            problems.append(f"{st['name']}: weight quantizer {node.op_type} does not carry {bits} bits")
        if sparsity.get("structure") != st["structure"]:
            problems.append(f"{st['name']}: sparsity annotation {sparsity.get('structure')} != {st['structure']}")
        if notes[node.input[0]].get("bitblock_row_scale") not in inits:
            problems.append(f"{st['name']}: no row_scale initializer")
    act_nodes = [n for n in model.graph.node if n.output[0].endswith(".codes")]
    for node, st in zip(act_nodes, stages[:-1]):
        act = st["activation"]
        if act == "sign":
            ok = node.op_type == "BipolarQuant"
        else:
            ok = node.op_type == "Quant" and act.endswith(str(int(inits[node.input[3]])))
        if not ok:
            problems.append(f"{st['name']}: activation quantizer {node.op_type} does not match {act}")
    images = read_idx(images_path)
    ort = np.loadtxt(ort_path, delimiter=",", dtype=np.int64, ndmin=2)
    mismatched = 0
    for first in range(0, len(images), 1000):
        batch = images[first:first + 1000].astype(np.float32)[:, None]
        logits, _ = run(model, batch)
        mismatched += int((logits != ort[first:first + 1000]).any(axis=1).sum())
    print(f"{qonnx_path}: onnx.checker ok, {len(weight_nodes)} weight and {len(act_nodes)} activation quantizers, "
          f"{len(images)} images, {mismatched} with logits different from the ONNX file's")
    if mismatched:
        problems.append(f"{mismatched} images differ")
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
