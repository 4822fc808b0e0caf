#!/usr/bin/env bash
# `bitblock sweep --emit slurm` run by a real Slurm (a private single-node cluster, local_slurm.sh):
# 4 points of mnist_paper (3 epochs, 784-256-256-10 so that an epoch takes seconds) submitted with
# the emitted submit.sh as an array on 2 CPUs; one task is cancelled in the middle of training
# (after its first epoch checkpoint, before its summary) and requeued. Checked: every point
# finished once, the requeued point resumed and its metrics and model file equal an uninterrupted
# run's at the same seed and thread count, the report job ran after the array and lists every
# point, results.csv has every point. And the GPU sweep's array script is accepted by
# `sbatch --test-only` on a node with one GPU GRES (and a request for two GPUs is not).
# Usage: test_sweep_on_slurm.sh BITBLOCK_BINARY SOURCE_DIR. Exit 77 (skip) with the reason where
# Slurm cannot be installed or MNIST is missing. KEEP=1 keeps the temporary folder.
set -euo pipefail
bitblock=$1
src=$2
# shellcheck source=tests/slurm/local_slurm.sh
source "$(dirname "$0")/local_slurm.sh"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
say() { echo "[$(date +%T)] $*"; }

[ "$(uname -s)" = Linux ] || skip "needs Linux"
data=$src/data
[ -f "$data/mnist/train-images-idx3-ubyte" ] || skip "no MNIST in $data (scripts/fetch-data.sh mnist)"
local_slurm_install || skip "$local_slurm_why"
[ "$(id -u)" -eq 0 ] || skip "slurmd needs root to start jobs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bitblock_slurm_XXXXXX")
finish() {
  local rc=$?
  local_slurm_stop
  local failed=0
  [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && failed=1
  [ "$failed" -eq 1 ] && [ -d "$tmp/slurm/log" ] && local_slurm_logs
  if [ "$failed" -eq 1 ] || [ "${KEEP:-0}" = 1 ]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# Job state of an array task or job, e.g. RUNNING, CANCELLED, COMPLETED.
state() { scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2; }
# Waits up to $2 seconds until `$3...` succeeds.
wait_for() {
  local what=$1 limit=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || fail "timed out after ${limit} s waiting for $what"
    sleep 0.1
  done
}

cd "$src"
layers='model.layers=[{type: flatten}, {type: linear, out: 256}, {type: batchnorm}, {type: act, fn: relu, bits: 8, max: 4.0}, {type: linear, out: 256}, {type: batchnorm}, {type: act, fn: relu, bits: 8, max: 4.0}, {type: linear, out: 10}, {type: batchnorm}]'
sweep_args=(--config experiments/configs/mnist_paper.yaml --data-dir "$data" --set train.epochs=3 --set "$layers")
"$bitblock" sweep "${sweep_args[@]}" --emit slurm --threads 1 --runs-dir "$tmp/runs" --out "$tmp/jobs"
mapfile -t names < <("$bitblock" sweep "${sweep_args[@]}" --runs-dir "$tmp/runs" --list | awk 'NF == 3 && $1 ~ /^[0-3]$/ {print $3}')
[ ${#names[@]} -eq 4 ] || fail "expected 4 grid points 0-3, got: ${names[*]}"
sweep=$tmp/runs/mnist_paper

say "starting Slurm"
local_slurm_start "$tmp/slurm" || fail "the Slurm cluster did not start"
submitted=$(bash "$tmp/jobs/submit.sh" --array=0-3)
echo "$submitted"
array=$(echo "$submitted" | sed -n 's/^array job \([0-9]*\), report job \([0-9]*\).*/\1/p')
report=$(echo "$submitted" | sed -n 's/^array job \([0-9]*\), report job \([0-9]*\).*/\2/p')
if [ -z "$array" ] || [ -z "$report" ]; then fail "submit.sh printed no job ids"; fi
scontrol show job -o "$report" | grep -q "Dependency=afterany:${array}_\*" ||
  fail "the report job does not depend on the array: $(scontrol show job -o "$report" | grep -o 'Dependency=[^ ]*')"

# The victim: task 1, cancelled once its first epoch's checkpoint exists (2 of 3 epochs to go).
victim=1
run=$sweep/${names[$victim]}
mid_training() { [ -f "$run/checkpoint.bbc" ] && [ ! -f "$run/summary.json" ] && [ "$(state "${array}_$victim")" = RUNNING ]; }
wait_for "task $victim's first checkpoint" 300 mid_training
say "cancelling task $victim after $(($(wc -l <"$run/metrics.csv") - 1)) epoch(s)"
scancel "${array}_$victim"
ended() { [ "$(state "${array}_$victim")" = CANCELLED ]; }
wait_for "task $victim to end" 120 ended
[ ! -f "$run/summary.json" ] || fail "task $victim finished before scancel reached it (epochs too short on this machine?)"
[ -f "$run/checkpoint.bbc" ] || fail "the cancelled run left no checkpoint"
epochs_done=$(($(wc -l <"$run/metrics.csv") - 1))
say "task $victim cancelled with $epochs_done epoch(s) done"
# A report now would miss the victim: the report job must still be waiting for the array.
[ "$(state "$report")" = PENDING ] || fail "report job is $(state "$report") while task $victim is cancelled"
scontrol requeue "${array}_$victim"
# Slurm holds a requeued job back (BeginTime, ~2 min) so that a failing job does not spin; a
# test need not wait for that.
scontrol update JobId="${array}_$victim" StartTime=now
say "requeued task $victim"

report_done() { case "$(state "$report")" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL) true ;; *) false ;; esac; }
wait_for "the report job" 600 report_done
say "report job $(state "$report")"
[ "$(state "$report")" = COMPLETED ] || fail "report job ended $(state "$report"): $(cat "$sweep"/slurm-report-*.out)"
for i in 0 1 2 3; do
  [ "$(state "${array}_$i")" = COMPLETED ] || fail "task $i ended $(state "${array}_$i")"
done

count() { grep -c -F -- "$1" "$log" || true; }  # lines of $log holding $1
# Every point finished once: one run folder each with a summary, trained once (the victim: once,
# then resumed once), reported done once, each epoch trained once (run log) and in metrics.csv once.
for i in 0 1 2 3; do
  name=${names[$i]}
  log=$sweep/slurm-${array}_$i.out
  [ -f "$sweep/$name/summary.json" ] || fail "$name: no summary.json"
  [ "$(count "$name: training ...")" -eq 1 ] || fail "$name: trained $(count "$name: training ...") times, see $log"
  [ "$(count "$name: done")" -eq 1 ] || fail "$name: done $(count "$name: done") times, see $log"
  resumed=$([ "$i" -eq "$victim" ] && echo 1 || echo 0)
  [ "$(count "$name: resuming ...")" -eq "$resumed" ] || fail "$name: resumed $(count "$name: resuming ...") times, see $log"
  for e in 1 2 3; do
    [ "$(grep -c "^epoch $e/3 done" "$sweep/$name/log")" -eq 1 ] || fail "$name: epoch $e not trained once, see $sweep/$name/log"
  done
  [ "$(cut -d, -f1 "$sweep/$name/metrics.csv" | tr '\n' ' ')" = "epoch 1 2 3 " ] ||
    fail "$name: metrics.csv epochs: $(cut -d, -f1 "$sweep/$name/metrics.csv" | tr '\n' ' ')"
done
grep -q "CANCELLED" "$sweep/slurm-${array}_$victim.out" || fail "the victim's log does not show the cancel"
grep -q "^resuming $run/checkpoint.bbc at epoch $((epochs_done + 1))," "$run/log" ||
  fail "the requeued run did not resume at epoch $((epochs_done + 1)): $(grep -E '^(resuming|run )' "$run/log")"

# The report lists every point; results.csv holds each once.
for name in "${names[@]}"; do
  grep -q -F "$name" "$sweep/report.md" || fail "report.md lacks $name"
  [ "$(grep -c "^$name," "$sweep/results.csv")" -eq 1 ] || fail "results.csv does not hold $name once"
done
[ "$(($(wc -l <"$sweep/results.csv") - 1))" -eq 4 ] || fail "results.csv has $(($(wc -l <"$sweep/results.csv") - 1)) rows, not 4"

# The requeued point equals an uninterrupted run of the same point (same seed, 1 thread).
say "uninterrupted reference run of point $victim"
"$bitblock" sweep "${sweep_args[@]}" --only "$victim" --threads 1 --runs-dir "$tmp/ref" >"$tmp/ref.log" 2>&1 ||
  fail "reference run failed: $(tail -n 5 "$tmp/ref.log")"
ref=$tmp/ref/mnist_paper/${names[$victim]}
cmp -s "$ref/model.bbm" "$run/model.bbm" || fail "the requeued run's model.bbm differs from the uninterrupted run's"
# metrics.csv without the timing columns (samples_per_s, seconds).
diff <(cut -d, -f1-6 "$ref/metrics.csv") <(cut -d, -f1-6 "$run/metrics.csv") ||
  fail "the requeued run's metrics differ from the uninterrupted run's"
metrics() { grep -E '^  "(test_acc|best_test_acc|integer_test_acc|test_loss|train_acc|epochs|seed)":' "$1/summary.json"; }
[ "$(metrics "$ref" | wc -l)" -eq 7 ] || fail "summary.json lacks metrics: $(metrics "$ref")"
diff <(metrics "$ref") <(metrics "$run") || fail "the requeued run's summary differs from the uninterrupted run's"
say "requeued point equals the uninterrupted run: $(metrics "$run" | tr -d '\n ')"

# A GPU sweep's array script (train.device: cuda asks for one GPU per task) as Slurm takes it.
"$bitblock" sweep "${sweep_args[@]}" --set train.device=cuda --emit slurm --threads 2 --runs-dir "$tmp/gpu-runs" \
  --out "$tmp/gpu-jobs" >/dev/null
grep -q '^#SBATCH --gres=gpu:1$' "$tmp/gpu-jobs/sweep.sbatch" || fail "the GPU script asks for no GPU"
sbatch --test-only "$tmp/gpu-jobs/sweep.sbatch" 2>&1 | tee "$tmp/test-only.txt"
grep -q "to start at" "$tmp/test-only.txt" || fail "sbatch --test-only rejects the GPU sweep's script"
if sbatch --test-only --gres=gpu:2 "$tmp/gpu-jobs/sweep.sbatch" >/dev/null 2>&1; then
  fail "sbatch --test-only accepts two GPUs on a one-GPU node: it does not judge the GRES"
fi
say "PASS"
