#!/usr/bin/env bash
# Real recordings for the catalogue tests, from the Debian package drascula-music (the
# smallest of the real-music packages training/real_corpus.py reads: 31 Ogg
# tracks, 47 minutes, 36 MB; licence in usr/share/doc/drascula-music/copyright).
#
#   scripts/slurm/real-music.sh tracks             print the folder of the 31 full tracks
#   scripts/slurm/real-music.sh catalogue DEST     cut a catalogue into DEST (made anew)
#
# The package is fetched once with apt-get download and unpacked with dpkg-deb into
# build/debs (git-ignored, the folder training/real_corpus.py uses).
#
# The catalogue: 3-s clips of every track in nested folders, in five formats (16-bit WAV,
# 24-bit WAV at 48 kHz, 16-bit FLAC, Ogg/Vorbis, mono 16-bit AIFF), one long file (two
# tracks end to end, 4.7 minutes, FLAC) and one corrupt file (a FLAC clip whose first
# 4 KiB are zeros), 33 files in all.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
debs="$root/build/debs"
package=drascula-music
audio="$debs/x/$package/usr/share/scummvm/drascula/audio"

tracks() {
  if [ ! -d "$audio" ]; then
    mkdir -p "$debs"
    ls "$debs"/${package}_*.deb >/dev/null 2>&1 || (cd "$debs" && timeout 600 apt-get download -q "$package" >/dev/null 2>&1) \
      || { echo "real-music: apt-get download $package failed" >&2; exit 1; }
    rm -rf "$debs/x/$package.tmp"
    mkdir -p "$debs/x/$package.tmp"
    dpkg-deb -x "$(ls "$debs"/${package}_*.deb | tail -1)" "$debs/x/$package.tmp"
    mv "$debs/x/$package.tmp" "$debs/x/$package"
  fi
  echo "$audio"
}

catalogue() {
  local dest=$1 src n=0
  src=$(tracks)
  rm -rf "$dest"
  for track in "$src"/track{1..31}.ogg; do
    local name duration start folder out
    name=$(basename "$track" .ogg)
    duration=$(soxi -D "$track")
    start=$(awk -v d="$duration" 'BEGIN { print (d > 30 ? 20 : 1) }')
    folder="$dest/act$((n % 3 + 1))"
    [ $((n % 2)) -eq 0 ] || folder="$folder/scene$((n % 4))"
    mkdir -p "$folder"
    out="$folder/$name"
    # sox takes the output's options before its name, effects after.
    case $((n % 5)) in
      0) sox "$track" -b 16 "$out.wav" trim "$start" 3 ;;
      1) sox "$track" -b 24 "$out.wav" trim "$start" 3 rate 48000 ;;
      2) sox "$track" -b 16 "$out.flac" trim "$start" 3 ;;
      3) sox "$track" -C 5 "$out.ogg" trim "$start" 3 ;;
      4) sox "$track" -b 16 "$out.aiff" trim "$start" 3 remix 1,2 ;;
    esac
    n=$((n + 1))
  done
  mkdir -p "$dest/long"
  sox "$src/track1.ogg" "$src/track3.ogg" -b 16 "$dest/long/suite.flac"
  cp "$dest/act3/track3.flac" "$dest/act2/corrupt.flac"
  dd if=/dev/zero of="$dest/act2/corrupt.flac" bs=4096 count=1 conv=notrunc status=none
}

case "${1:-}" in
  tracks) tracks ;;
  catalogue) [ $# -eq 2 ] || { echo "usage: $0 catalogue DEST" >&2; exit 2; }; catalogue "$2" ;;
  *) echo "usage: $0 tracks | catalogue DEST" >&2; exit 2 ;;
esac
