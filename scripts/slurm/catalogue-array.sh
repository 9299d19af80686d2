#!/bin/bash
# Renders a catalogue with adaptive-eq as a Slurm job array: each task renders its own
# slice of the sorted file list (--slice auto: SLURM_ARRAY_TASK_ID of 0…N−1) and writes
# its counts to SUMMARIES/slice-I.json. A requeued task, or the whole array submitted
# again, skips the outputs that exist and renders only what is missing.
#
#   sbatch catalogue-array.sh CATALOGUE OUTPUT SUMMARIES --term warm --intensity 0.8
#   sbatch --dependency=afterany:JOBID --wrap "adaptive-eq merge-summaries SUMMARIES/*.json"
#
# Arguments after the three folders are process options, the same for every file.
#SBATCH --job-name=catalogue
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=catalogue-%A_%a.out
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: sbatch catalogue-array.sh CATALOGUE OUTPUT SUMMARIES [process options]" >&2; exit 2; }
catalogue=$1 output=$2 summaries=$3
shift 3
exec "${ADAPTIVE_EQ:-adaptive-eq}" process "$catalogue" --output-dir "$output" \
  --jobs "$SLURM_CPUS_PER_TASK" --slice auto \
  --summary "$summaries/slice-$SLURM_ARRAY_TASK_ID.json" "$@"
