#!/usr/bin/env bash
# The ONNX / QONNX export tests on whole test sets (ctest runs the three steps, tests/CMakeLists.txt):
#   run_interop.sh models      <bitblock> <source dir> <data dir> <work dir>
#       trains mnist_mlp_3b_8x, mnist_mlp_1b_4x, fashion_cnn, tests/interop/binary_cnn.yaml and
#       tests/interop/signed_cnn.yaml (signed activations, stride 2, column sparsity) for one
#       epoch on the first 2000 training images (seconds; only exactness is tested), exports each
#       as onnx and qonnx, and writes `eval --model --logits` and `summary --model --json`.
#   run_interop.sh onnxruntime ...   every test image through ONNX Runtime (npm onnxruntime-node,
#       installed into <work dir>/../onnxruntime-node): logits equal, accuracy equal.
#   run_interop.sh qonnx ...         onnx.checker, quantizer bit widths, and the QONNX graph
#       executed by tests/interop/qonnx_check.py equal to the ONNX Runtime logits.
# Exit 77 (ctest: skipped) naming what is missing: data, node/npm, python3-onnx / python3-numpy.
set -euo pipefail
step=$1 bitblock=$2 src=$3 data=$4 work=$5
models=(mnist_mlp_3b_8x mnist_mlp_1b_4x fashion_cnn binary_cnn signed_cnn)
skip() { echo "SKIP: $*"; exit 77; }
dataset_dir() { case $1 in fashion_cnn | signed_cnn) echo fashion-mnist ;; *) echo mnist ;; esac; }
idx() { if [ -f "$1" ]; then echo "$1"; else echo "$1.gz"; fi; }

[ "$step" = models ] || [ -f "$work/${models[-1]}.qonnx" ] ||
  skip "no exported models in $work (the models step was skipped or failed)"

case $step in
models)
  for d in mnist fashion-mnist; do
    [ -e "$(idx "$data/$d/t10k-images-idx3-ubyte")" ] || skip "$data/$d has no test set (scripts/fetch-data.sh)"
  done
  rm -rf "$work" && mkdir -p "$work/subset"
  # First 2000 training images and labels (IDX headers rewritten for the count), full test sets.
  # (head closes the pipe early: its writers' SIGPIPE is expected.)
  set +o pipefail
  for d in mnist fashion-mnist; do
    mkdir -p "$work/subset/$d"
    for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do ln -s "$(realpath "$(idx "$data/$d/$f")")" "$work/subset/$d/${f}$( [ -f "$data/$d/$f" ] || echo .gz)"; done
    zcat -f "$(idx "$data/$d/train-images-idx3-ubyte")" | { printf '\x00\x00\x08\x03\x00\x00\x07\xd0\x00\x00\x00\x1c\x00\x00\x00\x1c'; tail -c +17 | head -c $((2000 * 784)); } > "$work/subset/$d/train-images-idx3-ubyte"
    zcat -f "$(idx "$data/$d/train-labels-idx1-ubyte")" | { printf '\x00\x00\x08\x01\x00\x00\x07\xd0'; tail -c +9 | head -c 2000; } > "$work/subset/$d/train-labels-idx1-ubyte"
  done
  set -o pipefail
  for m in "${models[@]}"; do
    cfg=$src/experiments/configs/$m.yaml
    [ -f "$cfg" ] || cfg=$src/tests/interop/$m.yaml
    "$bitblock" train --config "$cfg" --data-dir "$work/subset" --out "$work/$m" --set train.epochs=1 --quiet --threads 2
    for f in onnx qonnx; do
      "$bitblock" export --model "$work/$m/model.bbm" --format $f --out "$work/$m.$f" --data-dir "$data" --limit 100
    done
    "$bitblock" eval --model "$work/$m/model.bbm" --data-dir "$data" --logits "$work/$m.logits.csv" | tee "$work/$m.eval.txt"
    "$bitblock" summary --model "$work/$m/model.bbm" --json > "$work/$m.summary.json"
  done
  ;;
onnxruntime)
  command -v node >/dev/null && command -v npm >/dev/null || skip "node and npm not found (Debian: apt-get install nodejs npm)"
  ort=$work/../onnxruntime-node
  if [ ! -d "$ort/node_modules/onnxruntime-node" ]; then
    mkdir -p "$ort"
    # --ignore-scripts: the CPU library is in the package; the install script only fetches GPU extras.
    npm install --ignore-scripts --no-audit --no-fund --prefix "$ort" onnxruntime-node >/dev/null 2>&1 ||
      skip "npm install onnxruntime-node failed (registry unreachable?)"
  fi
  for m in "${models[@]}"; do
    d=$(dataset_dir "$m")
    line=$(node "$src/tests/interop/ort_logits.js" "$ort/node_modules/onnxruntime-node" "$work/$m.onnx" \
      "$(idx "$data/$d/t10k-images-idx3-ubyte")" "$(idx "$data/$d/t10k-labels-idx1-ubyte")" "$work/$m.logits.csv" "$work/$m.ort.csv")
    echo "$line"
    # The accuracy ONNX Runtime gives must be the one `eval --model` printed.
    want=$(grep -o 'accuracy [0-9.]*%' "$work/$m.eval.txt")
    [[ $line == *"$want" ]] || { echo "FAIL: $m: eval --model says '$want'"; exit 1; }
  done
  ;;
qonnx)
  py=
  for p in python3 /usr/bin/python3; do
    if command -v $p >/dev/null && $p -c 'import onnx, numpy' 2>/dev/null; then py=$p; break; fi
  done
  [ -n "$py" ] || skip "python3 with onnx and numpy not found (Debian: apt-get install python3-onnx python3-numpy)"
  for m in "${models[@]}"; do
    d=$(dataset_dir "$m")
    # Against the ONNX Runtime logits when that test ran, else eval's (which it proves equal).
    want=$work/$m.ort.csv
    [ -f "$want" ] || want=$work/$m.logits.csv
    "$py" "$src/tests/interop/qonnx_check.py" "$work/$m.qonnx" "$work/$m.summary.json" \
      "$(idx "$data/$d/t10k-images-idx3-ubyte")" "$want"
  done
  ;;
*) echo "run_interop.sh: unknown step $step" >&2; exit 2 ;;
esac
