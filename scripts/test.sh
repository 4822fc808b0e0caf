#!/usr/bin/env bash
# The test command: packages and MNIST (idempotent), Release build with tests, then every
# GoogleTest suite through ctest. CUDA tests skip cleanly where no GPU driver is present.
# Usage: scripts/test.sh [--build-dir DIR] [extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
if [ "${1:-}" = "--build-dir" ]; then build_dir=$2; shift 2; fi
bash scripts/setup.sh --no-demo --build-dir "$build_dir"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" "$@"
