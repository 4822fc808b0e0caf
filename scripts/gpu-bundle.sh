#!/usr/bin/env bash
# Stages a self-contained bundle for a lent GPU machine (../shared/gpu/README.md has the recipe):
# that machine has CUDA 13 (nvcc, cuBLAS, cuSPARSE), cmake and Python but none of the project's
# Debian libraries and no network, so everything is built here with CUDA for sm_90 and copied:
#   gpu-bundle/bin    bitblock, bitblock_tests_kernels, bitblock_tests_framework, bitblock_bench
#   gpu-bundle/lib    the shared libraries they load that are neither CUDA's nor the C runtime's
#   gpu-bundle/data   MNIST, gzipped (the loaders read .gz)
# The folder is git-ignored (build*/-style name below) and stays under 64 MiB; bench/run_device.sh
# runs everything from it on the GPU machine.
# Usage: scripts/gpu-bundle.sh [bundle dir (default build-gpu-bundle)] [build dir (default build)]
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-build-gpu-bundle}
build=${2:-build}
data=${DATA:-data}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 > /dev/null
bins=(bitblock bitblock_bench tests/bitblock_tests_kernels tests/bitblock_tests_framework)
cmake --build "$build" --target bitblock bitblock_bench bitblock_tests_kernels bitblock_tests_framework
ldd "$build/bitblock" | grep -q libcudart || { echo "gpu-bundle: $build has no CUDA (nvcc not found)" >&2; exit 1; }
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/data/mnist"
for b in "${bins[@]}"; do cp "$build/$b" "$bundle/bin/" && strip "$bundle/bin/$(basename "$b")"; done
# Libraries: everything ldd resolves except the C runtime (libc, libm, libstdc++, libgcc_s, the
# loader and friends) and CUDA's own (the GPU machine has them in /usr/local/cuda/lib64).
for b in "${bins[@]}"; do ldd "$build/$b"; done | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libstdc++*|libgcc_s*) ;;
    libcuda.so*|libcudart*|libcublas*|libcublasLt*|libcusparse*|libnvJitLink*) ;;
    *) cp -L "$lib" "$bundle/lib/" ;;
  esac
done
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -f "$data/mnist/$f" ]; then gzip -9 -c "$data/mnist/$f" > "$bundle/data/mnist/$f.gz"
  else cp "$data/mnist/$f.gz" "$bundle/data/mnist/"; fi
done
du -sh "$bundle"
size=$(du -sm "$bundle" | cut -f1)
[ "$size" -lt 64 ] || { echo "gpu-bundle: $bundle is ${size} MiB, over the 64 MiB a device run carries" >&2; exit 1; }
echo "staged $bundle; on the GPU machine: BUNDLE=$bundle bench/run_device.sh (carry $bundle)"
