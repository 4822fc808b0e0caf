# shellcheck shell=bash disable=SC2034  # local_slurm_why is read by the caller
# A private single-node Slurm cluster for tests (sourced by bash): munged, slurmctld and slurmd
# on localhost, every file (config, keys, state, logs) under one folder, free ports, the node
# with 2 CPUs and one GPU GRES (a count only: nothing runs on it; it lets `sbatch --test-only`
# judge a GPU job). Needs root (slurmd starts jobs as their user) and Debian's slurm-wlm + munge.
#   local_slurm_install || skip "$local_slurm_why"
#   local_slurm_start DIR       # exports SLURM_CONF; returns 1 with the logs printed on failure
#   local_slurm_stop            # cancels every job, stops what start started (by pid), waits
# No cgroups are assumed (containers rarely delegate them): processes are tracked by
# proctrack/linuxproc (the parent-child tree), tasks are not bound (task/none).

local_slurm_pids=()
local_slurm_names=()
local_slurm_dir=
local_slurm_why=

# Installs slurm-wlm and munge where they are missing; 1 with the reason in local_slurm_why when
# it cannot (not root, no apt-get, apt-get failed).
local_slurm_install() {
  local have=1 t
  for t in munged slurmctld slurmd sbatch; do command -v "$t" >/dev/null 2>&1 || have=0; done
  [ "$have" -eq 1 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then local_slurm_why="slurm-wlm/munge not installed and not root"; return 1; fi
  if ! command -v apt-get >/dev/null 2>&1; then local_slurm_why="slurm-wlm/munge not installed and no apt-get"; return 1; fi
  local log
  log=$(mktemp)
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >"$log" 2>&1; then
    apt-get update -qq >>"$log" 2>&1 || true
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >>"$log" 2>&1; then
      local_slurm_why="apt-get install slurm-wlm munge failed: $(tail -n 3 "$log" | tr '\n' ' ')"
      rm -f "$log"
      return 1
    fi
  fi
  rm -f "$log"
  # Services the packages may have started (where the init system runs them) use the default
  # socket, config and ports, none of which this cluster uses; they are left alone.
  return 0
}

# A TCP port nothing listens on (bash's /dev/tcp connects when something does).
local_slurm_free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

local_slurm_logs() {
  local f
  for f in "$local_slurm_dir"/log/*.log; do
    [ -f "$f" ] || continue
    echo "--- $f (last 30 lines)"
    tail -n 30 "$f"
  done
}

# Starts a daemon in the foreground of a background job, so its pid is $! (no pid-file races).
local_slurm_spawn() {
  local name=$1
  shift
  "$@" >>"$local_slurm_dir/log/$name.out" 2>&1 &
  local_slurm_pids+=("$!")
  local_slurm_names+=("$name")
}

local_slurm_start() {
  local_slurm_dir=$1
  local d=$local_slurm_dir node ctld_port slurmd_port
  mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log"
  chmod 700 "$d" "$d/munge"
  node=$(hostname -s)
  head -c 1024 /dev/urandom >"$d/munge/munge.key"
  chmod 400 "$d/munge/munge.key"
  local_slurm_spawn munged munged --foreground --force --socket="$d/munge/socket" --key-file="$d/munge/munge.key" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/log/munged.log" --seed-file="$d/munge/seed"
  local i
  for i in $(seq 1 50); do
    munge -n -S "$d/munge/socket" >/dev/null 2>&1 && break
    sleep 0.2
  done
  if ! munge -n -S "$d/munge/socket" >/dev/null 2>&1; then
    echo "local_slurm: munged did not come up"
    local_slurm_logs
    return 1
  fi
  ctld_port=$(local_slurm_free_port) || { echo "local_slurm: no free port"; return 1; }
  slurmd_port=$ctld_port
  while [ "$slurmd_port" = "$ctld_port" ]; do
    slurmd_port=$(local_slurm_free_port) || { echo "local_slurm: no free port"; return 1; }
  done
  cat >"$d/slurm.conf" <<EOF
ClusterName=bitblocktest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge/socket
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
GresTypes=gpu
ReturnToService=2
# Time between SIGTERM and SIGKILL when a job is cancelled or preempted.
KillWait=30
# Ended jobs stay visible (scontrol show job) for the test to read their state.
MinJobAge=3600
SchedulerParameters=sched_interval=1
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  echo "NodeName=$node Name=gpu File=/dev/null" >"$d/gres.conf"
  export SLURM_CONF=$d/slurm.conf
  local_slurm_spawn slurmctld slurmctld -D -i -f "$d/slurm.conf"
  local_slurm_spawn slurmd slurmd -D -f "$d/slurm.conf" -N "$node"
  for i in $(seq 1 120); do
    [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ] && return 0
    sleep 0.5
  done
  echo "local_slurm: node $node not idle after 60 s: $(sinfo -h -o '%n %t %E' 2>&1)"
  local_slurm_logs
  return 1
}

# Cancels every job (this controller is private to the test), gives them KillWait to end, then
# stops the daemons in reverse order by pid.
local_slurm_stop() {
  [ ${#local_slurm_pids[@]} -gt 0 ] || return 0
  local k pid
  # pids: munged, slurmctld, slurmd; jobs can be cancelled while the controller runs.
  if [ ${#local_slurm_pids[@]} -ge 2 ] && kill -0 "${local_slurm_pids[1]}" 2>/dev/null; then
    scancel --full --user="$(id -un)" >/dev/null 2>&1 || true
    for _ in $(seq 1 70); do
      [ -z "$(squeue -h -t RUNNING,COMPLETING -o %i 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for ((k = ${#local_slurm_pids[@]} - 1; k >= 0; k--)); do
    pid=${local_slurm_pids[$k]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "local_slurm: ${local_slurm_names[$k]} ($pid) ignored SIGTERM, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  local_slurm_pids=()
  local_slurm_names=()
}
