#!/usr/bin/env bash
# Builds the bundled demo clip (8 s, stereo, 44.1 kHz, 16-bit FLAC) from recorded loops of
# Debian's sonic-pi-samples (freesound.org recordings placed under CC0 by their authors;
# see /usr/share/sonic-pi/samples/README.md). Needs: apt-get install sox sonic-pi-samples
set -euo pipefail
S=/usr/share/sonic-pi/samples
out=${1:-Sources/AdaptiveEQResources/Resources/demo.flac}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sox "$S/ambi_piano.flac" "$tmp/piano.wav" pad 0 1.2 repeat 2
sox -m -v 0.4 "$S/loop_garzul.flac" -v 0.3 "$S/loop_amen_full.flac" -v 0.35 "$tmp/piano.wav" \
    -b 16 "$tmp/mix.flac" trim 0 8 fade 0.01 8 0.05
sox "$tmp/mix.flac" -b 16 "$out" gain -n -3
echo "wrote $out ($(soxi -D "$out") s)"
