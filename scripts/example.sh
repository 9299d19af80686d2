#!/usr/bin/env bash
# Builds Examples/RenderWord (a package that depends on this one by path and uses only the
# public API of its library products) and runs it: a 2-s stereo float WAV rendered with
# "warm" block by block and in one call must give identical files that differ from the
# input, and an unknown word must fail with one line and a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/../Examples/RenderWord"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! swift build > "$tmp/build.log" 2>&1; then
    tail -40 "$tmp/build.log" >&2; echo "example: render-word did not build" >&2; exit 1
fi
bin="$(swift build --show-bin-path)/render-word"
sox -n -r 44100 -c 2 -b 32 -e float "$tmp/in.wav" synth 2 pinknoise vol 0.3
"$bin" "$tmp/in.wav" "$tmp/blocks.wav" warm 0.7
"$bin" "$tmp/in.wav" "$tmp/whole.wav" warm 0.7 --whole
cmp "$tmp/blocks.wav" "$tmp/whole.wav"
if cmp -s "$tmp/in.wav" "$tmp/blocks.wav"; then echo "example: output equals input" >&2; exit 1; fi
if "$bin" "$tmp/in.wav" "$tmp/bad.wav" wrm 2> "$tmp/err"; then echo "example: unknown word accepted" >&2; exit 1; fi
[ "$(wc -l < "$tmp/err")" -eq 1 ] && [ ! -e "$tmp/bad.wav" ] || { echo "example: bad word not refused in one line" >&2; exit 1; }
echo "example: render-word block-by-block and whole-buffer renders identical, unknown word refused: $(cat "$tmp/err")"
