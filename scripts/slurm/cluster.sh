#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, as plain processes (no systemd), for tests.
#
#   scripts/slurm/cluster.sh up STATE_DIR     start munged, slurmctld and slurmd; print the
#                                             line to source (export SLURM_CONF=…) once the
#                                             node takes jobs
#   scripts/slurm/cluster.sh down STATE_DIR   cancel every job, stop the daemons by the PIDs
#                                             `up` recorded, and wait until they are gone
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and munge
# (scripts/setup.sh installs them). Everything lives in STATE_DIR: configuration, munge key
# and socket, spool folders, logs, PIDs. Ports are the first free pair from 16817 on.
set -euo pipefail

usage() { echo "usage: $0 up|down STATE_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
mkdir -p "$2"
state=$(cd "$2" && pwd)
node=aeqnode

# The PIDs `up` started, one "name pid" per line; `down` stops only these.
pids_file="$state/pids"

free_port() {  # first port from $1 on that nothing listens on
  local port=$1
  while ss -Htlna "sport = :$port" | grep -q .; do port=$((port + 1)); done
  echo "$port"
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND…: poll every 0.1 s; DESCRIPTION "" is quiet
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      [ -z "$what" ] || echo "slurm cluster: $what did not happen within $limit s (logs in $state)" >&2
      return 1
    fi
    sleep 0.1
  done
}

start() {  # start NAME COMMAND…: run in the background, record its PID
  local name=$1; shift
  "$@" >"$state/$name.out" 2>&1 </dev/null &
  echo "$name $!" >>"$pids_file"
}

up() {
  if [ -s "$pids_file" ]; then
    echo "slurm cluster: $state already has daemons (run '$0 down $state' first)" >&2
    exit 1
  fi
  for tool in munged slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null || { echo "slurm cluster: $tool not found (run scripts/setup.sh)" >&2; exit 1; }
  done
  rm -rf "$state/munge" "$state/ctld" "$state/spool"
  mkdir -p "$state/munge" "$state/ctld" "$state/spool"
  # munged refuses a socket folder that is not world-searchable, and a key others can read.
  chmod 755 "$state" "$state/munge"
  head -c 1024 /dev/urandom >"$state/munge/munge.key"
  chmod 600 "$state/munge/munge.key"
  local ctld_port slurmd_port
  ctld_port=$(free_port 16817)
  slurmd_port=$(free_port $((ctld_port + 1)))

  cat >"$state/slurm.conf" <<EOF
ClusterName=aeq
SlurmctldHost=$(hostname -s)(127.0.0.1)
MailProg=/bin/true
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munge.socket.2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
# No systemd and no cgroup delegation here: track job processes through /proc.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
# One CPU per task unless asked otherwise; tasks start as soon as a CPU is free.
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# Finished jobs stay visible to scontrol for 10 minutes (no accounting database).
MinJobAge=600
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=batch Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd 22.05 always loads a cgroup plugin, and autodetection fails on cgroup2 without
  # systemd; v1 loads (and does nothing, with the plugins above).
  echo "CgroupPlugin=cgroup/v1" >"$state/cgroup.conf"

  export SLURM_CONF="$state/slurm.conf"
  : >"$pids_file"
  start munged munged --foreground --force --socket="$state/munge/munge.socket.2" \
    --key-file="$state/munge/munge.key" --pid-file="$state/munge/munged.pid" \
    --log-file="$state/munge/munged.log" --seed-file="$state/munge/munged.seed" --origin=127.0.0.1
  wait_for 10 "munged listening" test -S "$state/munge/munge.socket.2"
  start slurmctld slurmctld -D -c -f "$SLURM_CONF"
  start slurmd slurmd -D -N "$node" -f "$SLURM_CONF"
  wait_for 30 "node $node idle" node_idle
  echo "export SLURM_CONF=$SLURM_CONF"
}

node_idle() { [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ]; }

# A recorded PID is ours while its command line names STATE_DIR (every daemon's does), so a
# daemon that died and whose PID was reused is never signalled.
pid_alive() { grep -qF "$state" "/proc/$1/cmdline" 2>/dev/null; }

down() {
  [ -s "$pids_file" ] || return 0
  export SLURM_CONF="$state/slurm.conf"
  # Cancel every job first, so slurmd ends its job steps before it stops.
  if pid_alive "$(awk '$1 == "slurmctld" {print $2}' "$pids_file")"; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    wait_for 30 "every job ended" jobs_gone || true
  fi
  # Stop in reverse start order: slurmd, slurmctld, munged.
  local name pid
  while read -r name pid; do
    pid_alive "$pid" || continue
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for 15 "" pid_gone "$pid"; then
      echo "slurm cluster: $name (pid $pid) did not stop within 15 s of SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_for 5 "$name (pid $pid) killed" pid_gone "$pid"
    fi
  done < <(tac "$pids_file")
  : >"$pids_file"
}

# squeue lists pending, running and completing jobs: empty once every job step has ended.
jobs_gone() { [ -z "$(squeue -h -o %i)" ]; }

pid_gone() { ! pid_alive "$1"; }

case "$action" in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
