#!/usr/bin/env bash
# Stage what a GPU machine without the project's dependencies needs to run the CUDA tests,
# benchmarks and training (../shared/gpu/README.md: CUDA 13, cmake and ninja there, but no
# yaml-cpp, OpenBLAS, GTest, Google Benchmark, ... and no network). Run here:
#   scripts/gpu-bundle.sh [--arch 90] [--build-dir build-gpu] [--out gpu-bundle]
# Builds Release with CUDA in its own build folder, then fills one git-ignored folder with
#   bin/         bitblock_tests_kernels, bitblock_tests_device, bitblock_bench, bitblock (stripped)
#   lib/         the shared libraries they load that are neither CUDA's (the GPU machine has
#                those in /usr/local/cuda/lib64) nor the C / C++ runtime (found with ldd,
#                copied with cp -L)
#   data/mnist/  MNIST, gzipped (the loaders read .gz)
# then packs the folder into gpu-bundle.tar.gz (OpenBLAS alone is 35 MiB unpacked) and prints the
# size of the archive plus the tracked working tree, which must stay under 64 MiB (what a device
# run may carry: `carry: ["gpu-bundle.tar.gz"]`). Then, on the GPU machine, from a checkout
# holding the archive: bash bench/run_device.sh (it unpacks the archive first).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
arch=90
build="$root/build-gpu"
out="$root/gpu-bundle"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--arch 90] [--build-dir DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done
data="${DATA_DIR:-$root/data}"
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBITBLOCK_ENABLE_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" "${launcher[@]}" | grep "bitblock: CUDA backend"
if ! grep -q -- "-DBITBLOCK_HAS_CUDA=1" "$build/build.ninja"; then
  echo "gpu-bundle: CUDA is not enabled in $build (is nvcc installed?)" >&2
  exit 1
fi
cmake --build "$build" -j"${JOBS:-2}" --target bitblock_tests_kernels bitblock_tests_device bitblock_bench bitblock

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/data/mnist"
cp "$build/tests/bitblock_tests_kernels" "$build/tests/bitblock_tests_device" "$build/bitblock_bench" \
  "$build/bitblock" "$out/bin/"
strip "$out/bin/"*

# Shared libraries: everything ldd resolves except the CUDA toolkit's and the C / C++ runtime's.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl|librt|libresolv|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcusparse|libnvJitLink|libnvrtc)'
ldd "$out/bin/"* | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u | while read -r name path; do
  if ! [[ "$name" =~ $skip ]]; then cp -L "$path" "$out/lib/$name"; fi
done
if ldd "$out/bin/"* | grep "not found" | grep -vE "libcud|libcublas|libcusparse|libnvJitLink"; then
  echo "gpu-bundle: unresolved libraries above" >&2
  exit 1
fi

for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -f "$data/mnist/$f" ]; then
    gzip -9 -c "$data/mnist/$f" > "$out/data/mnist/$f.gz"
  elif [ -f "$data/mnist/$f.gz" ]; then
    cp -L "$data/mnist/$f.gz" "$out/data/mnist/"
  else
    echo "gpu-bundle: $data/mnist/$f missing (scripts/fetch-data.sh mnist)" >&2
    exit 1
  fi
done

echo "gpu-bundle: $out"
(cd "$out" && find . -type f -printf '%s\t%p\n' | sort -k2 | awk -F'\t' '{ printf "  %8.1f KiB  %s\n", $1 / 1024, $2 }')
tar -C "$(dirname "$out")" -czf "$out.tar.gz" "$(basename "$out")"
archive=$(stat -c %s "$out.tar.gz")
tree=$(cd "$root" && git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
bytes=$((archive + tree))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo "gpu-bundle: $out.tar.gz $(mib "$archive") MiB (unpacked $(mib "$(du -sb "$out" | cut -f1)") MiB);" \
  "with the tracked working tree $(mib "$bytes") MiB"
if [ "$bytes" -ge $((64 * 1024 * 1024)) ]; then
  echo "gpu-bundle: over the 64 MiB a device run carries" >&2
  exit 1
fi
