#!/usr/bin/env bash
# Every test of the project, in one command (the README's test command runs this after
# scripts/setup.sh; CI runs exactly that). Each step must pass; the first failure stops.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "== $*" >&2; "$@"; }
step swift test -c release
# The API documentation (DocC, warnings as errors, every public symbol documented) and the
# example package built on the public API only.
step scripts/docs.sh
step scripts/example.sh
# The VST3 bundle, then the plugin in Python's VST3 hosts against the CLI.
AEQ_VST3_BUNDLE="$(scripts/build-vst3.sh --no-install | tail -n 1)"
AEQ_BIN="$(swift build -c release --show-bin-path)/adaptive-eq"
export AEQ_VST3_BUNDLE AEQ_BIN
step python3 -m pytest -q Tests/VST3Hosts
step python3 -m pytest -q eval/test_metrics.py eval/test_safe_output.py python/tests training/tests Tests/StudioE2E
# A real one-node Slurm cluster renders a catalogue of real recordings (40–90 s here).
step python3 -m pytest -q Tests/Slurm
step scripts/fuzz.sh 30
step scripts/daw_check.py --vst3-bundle "$AEQ_VST3_BUNDLE" --cli "$AEQ_BIN"
