#!/usr/bin/env bash
# Instructions per second of audio of `adaptive-eq process` (adaptive, "warm" 0.7, stereo
# float WAV → WAV) for this tree and a previous build, counted by callgrind: a count of
# executed instructions, not a time, so the figure repeats exactly whatever else the
# machine is doing. Both binaries are copied with their resource bundle and stripped of
# debug info first (valgrind cannot read the Swift DWARF).
#
#   bench/instructions.sh [--base COMMIT] [--base-cli PATH] [--cli PATH] [--input WAV] [--seconds N]
#
# --base COMMIT   previous build to compare with (default fe1013a), exported with
#                 `git archive` and built in .build-base/ (kept for the next run)
# --base-cli PATH use that binary as the previous build instead (its resource bundle beside it)
# --cli PATH      the binary of this tree (default: builds .build/release/adaptive-eq)
# --input WAV     the audio (default: pink noise pulsing at 2 Hz, made by sox), converted to
#                 a stereo float WAV of --seconds (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
base=fe1013a base_cli="" cli="" input="" seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --base-cli) base_cli=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "bench/instructions.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for tool in valgrind sox strip; do
  command -v "$tool" >/dev/null || { echo "bench/instructions.sh: $tool is needed" >&2; exit 1; }
done

if [ -z "$cli" ]; then
  swift build -c release --product adaptive-eq >&2
  cli=.build/release/adaptive-eq
fi
if [ -z "$base_cli" ]; then
  src=.build-base/src-$base
  if [ ! -x "$src/.build/release/adaptive-eq" ]; then
    rm -rf "$src"; mkdir -p "$src"
    git archive "$base" | tar -x -C "$src"
    (cd "$src" && swift build -c release --product adaptive-eq >&2)
  fi
  base_cli=$src/.build/release/adaptive-eq
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A stripped copy of a binary, with its resource bundles beside it.
stage() {
  local from=$1 to=$work/$2
  mkdir -p "$to"
  cp "$from" "$to/adaptive-eq"
  cp -r "$(dirname "$from")"/*.resources "$to/" 2>/dev/null || true
  strip --strip-debug "$to/adaptive-eq"
  echo "$to/adaptive-eq"
}
new=$(stage "$cli" new)
old=$(stage "$base_cli" old)

audio=$work/in.wav
if [ -n "$input" ]; then
  sox "$input" -e floating-point -b 32 -c 2 -r 44100 "$audio" trim 0 "$seconds"
else
  # Pink noise pulsing at 2 Hz: broadband, with level changes the engine follows.
  sox -n -e floating-point -b 32 -c 2 -r 44100 "$audio" synth "$seconds" pinknoise vol 0.2 \
    synth "$seconds" sine amod 2 fade 0 "$seconds" 0.01
fi

# Instructions of one run, from callgrind's totals line.
count() {
  local out=$work/cg.$1
  valgrind --tool=callgrind --callgrind-out-file="$out" "$2" process "$audio" "$work/out-$1.wav" \
    --term warm --intensity 0.7 --mode adaptive --force >/dev/null 2>"$work/log.$1" \
    || { cat "$work/log.$1" >&2; exit 1; }
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}
old_ir=$(count old "$old")
new_ir=$(count new "$new")
same=$(cmp -s "$work/out-old.wav" "$work/out-new.wav" && echo "byte-identical" || echo "DIFFERENT")
awk -v o="$old_ir" -v n="$new_ir" -v s="$seconds" -v same="$same" -v base="$base_cli" -v cli="$cli" 'BEGIN {
  printf "process --mode adaptive --term warm --intensity 0.7, %g s of stereo audio, callgrind (stripped binaries)\n", s
  printf "%-9s %16s %22s  %s\n", "build", "instructions", "per second of audio", "binary"
  printf "%-9s %16d %22.0f  %s\n", "previous", o, o / s, base
  printf "%-9s %16d %22.0f  %s\n", "this", n, n / s, cli
  printf "ratio previous / this: %.2fx; outputs %s\n", o / n, same
}'
