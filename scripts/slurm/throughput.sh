#!/usr/bin/env bash
# Catalogue throughput on this machine's Slurm cluster: the 31 full-length tracks of
# drascula-music (47 minutes of Ogg/Vorbis, scripts/slurm/real-music.sh) rendered by
# scripts/slurm/catalogue-array.sh as an array of 1 task, then of 2 tasks (1 CPU and 1 job
# each), timed from sbatch to the last task's end. Prints the load average before each run:
# on a shared machine the ratio says as much about the other processes as about ours.
#
#   scripts/slurm/throughput.sh [process options]      (default: --term warm)
#
# Needs root, the release build (.build/release/adaptive-eq, or $AEQ_BIN) and
# scripts/setup.sh's packages. Starts its own cluster and stops it at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${AEQ_BIN:-$root/.build/release/adaptive-eq}
[ -x "$bin" ] || { echo "throughput: $bin not built (swift build -c release)" >&2; exit 1; }
[ $# -gt 0 ] || set -- --term warm
tracks=$("$here/real-music.sh" tracks)
work=$(mktemp -d)
trap '"$here/cluster.sh" down "$work/state"; rm -rf "$work"' EXIT
eval "$("$here/cluster.sh" up "$work/state")"
export ADAPTIVE_EQ=$bin

wall=()
for tasks in 1 2; do
  echo "$tasks task(s): load average $(cut -d' ' -f1-3 /proc/loadavg) before" >&2
  start=$(date +%s.%N)
  job=$(sbatch --parsable --array=0-$((tasks - 1)) --output="$work/log-$tasks-%a.out" \
    "$here/catalogue-array.sh" "$tracks" "$work/out-$tasks" "$work/sums-$tasks" "$@")
  while [ -n "$(squeue -h -j "$job" -o %i)" ]; do sleep 0.1; done
  end=$(date +%s.%N)
  wall+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
  "$bin" merge-summaries "$work/sums-$tasks"/*.json
  printf '%d task(s): %.1f s wall\n' "$tasks" "${wall[-1]}"
done
awk -v one="${wall[0]}" -v two="${wall[1]}" 'BEGIN { printf "2 tasks against 1: %.2f× faster\n", one / two }'

