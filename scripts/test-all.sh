#!/usr/bin/env bash
# Every test of the project, in one command (the README's test command runs this after
# scripts/setup.sh; CI runs exactly that). Each step must pass; the first failure stops.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "== $*" >&2; "$@"; }
step swift test -c release
step python3 -m pytest -q eval/test_metrics.py eval/test_safe_output.py python/tests training/tests Tests/StudioE2E
# A real one-node Slurm cluster renders a catalogue of real recordings (40–90 s here).
step python3 -m pytest -q Tests/Slurm
step scripts/fuzz.sh 30
step scripts/daw_check.py
