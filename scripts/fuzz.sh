#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets (clang, ASan + UBSan, CRC checks off; a build folder of
# their own), writes their seed corpora from real files, and runs each target for a given time,
# one after the other in one process each. Findings (crashes, sanitizer reports, uncaught
# exceptions other than InputError, timeouts, out-of-memory) are saved and fail the script; turn
# each into a regression test.
# Usage: scripts/fuzz.sh [--time SECONDS] [--build-dir DIR] [TARGET...]
#   TARGET: model_file checkpoint config idx cifar hwsim_arch hwsim_tech results_csv sweep_grid
#           (default: all)
#   Seeds: <build-dir>/seeds/<target>; the corpus grows in <build-dir>/corpus/<target>; findings
#   go to <build-dir>/findings/<target>/; <build-dir>/fuzz-summary.txt lists executions per target.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
build_dir=build-fuzz
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=(model_file checkpoint config idx cifar hwsim_arch hwsim_tech results_csv sweep_grid)

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" -DBITBLOCK_FUZZ=ON -DBITBLOCK_BUILD_TESTS=OFF \
    -DBITBLOCK_BUILD_BENCH=OFF -DBITBLOCK_ENABLE_CUDA=OFF
fi
cmake --build "$build_dir" --target bitblock_fuzzers -j "$(nproc)"

seeds="$build_dir/seeds"
rm -rf "$seeds"
"$build_dir/fuzz/make_fuzz_seeds" "$seeds"
mkdir -p "$seeds/hwsim_arch" "$seeds/hwsim_tech"
cp experiments/configs/*.yaml "$seeds/config/"
cp hwsim/arch/*.yaml "$seeds/hwsim_arch/"
{ cat hwsim/tech/40nm.yaml; printf '\0'; cat hwsim/tech/sram40nm.csv; } > "$seeds/hwsim_tech/40nm"

summary="$build_dir/fuzz-summary.txt"
printf '%-12s %8s %14s %8s  %s\n' target seconds executions corpus result > "$summary"
status=0
for t in "${targets[@]}"; do
  bin="$build_dir/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  mkdir -p "$build_dir/corpus/$t" "$build_dir/findings/$t"
  log="$build_dir/findings/$t.log"
  echo "== fuzz_$t for ${seconds}s"
  result=ok
  "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build_dir/findings/$t/" "$build_dir/corpus/$t" "$seeds/$t" > "$log" 2>&1 || result=FINDING
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  files=$(find "$build_dir/corpus/$t" -type f | wc -l)
  printf '%-12s %8s %14s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "$files" "$result" | tee -a "$summary"
  if [ "$result" != ok ]; then
    status=1
    grep -E "ERROR|runtime error|==[0-9]+==|Test unit written" "$log" | head -n 20 >&2 || true
  fi
done
cat "$summary"
exit $status
