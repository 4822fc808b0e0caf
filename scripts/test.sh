#!/usr/bin/env bash
# The test command: packages and MNIST (idempotent), Release build with tests, then every
# GoogleTest suite through ctest. Then the same suites built with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang, CUDA off, folder <build-dir>-asan; any finding fails its
# test) and every fuzz target for a short time (scripts/fuzz.sh, folder <build-dir>-fuzz). CUDA
# tests skip cleanly where no GPU driver is present. The Slurm test (tests/slurm/) installs
# slurm-wlm and munge itself when run as root, and skips with the reason where it cannot.
# Usage: scripts/test.sh [--build-dir DIR] [--no-sanitizers] [--fuzz-seconds N] [extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
sanitizers=1
fuzz_seconds=25
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --no-sanitizers) sanitizers=0; shift ;;
    --fuzz-seconds) fuzz_seconds=$2; shift 2 ;;
    *) break ;;
  esac
done
bash scripts/setup.sh --no-demo --build-dir "$build_dir"
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" "$@")
[ "$sanitizers" -eq 1 ] || exit 0

asan_dir="$build_dir-asan"
printf '\n== ASan + UBSan build (%s)\n' "$asan_dir"
if [ ! -f "$asan_dir/CMakeCache.txt" ]; then
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" -DBITBLOCK_SANITIZE=address,undefined \
    -DBITBLOCK_ENABLE_CUDA=OFF -DBITBLOCK_BUILD_BENCH=OFF
fi
cmake --build "$asan_dir" -j "$(nproc)"
(cd "$asan_dir" && ctest --output-on-failure -j "$(nproc)" "$@")

printf '\n== Fuzz targets, %s s each\n' "$fuzz_seconds"
bash scripts/fuzz.sh --time "$fuzz_seconds" --build-dir "$build_dir-fuzz"
