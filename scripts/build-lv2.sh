#!/usr/bin/env bash
# Builds the AdaptiveEQ LV2 plugin and installs the bundle.
#
#   scripts/build-lv2.sh            build, assemble, install to ~/.lv2/adaptive-eq.lv2
#   scripts/build-lv2.sh DEST       install to DEST/adaptive-eq.lv2 instead
#   scripts/build-lv2.sh --no-install
#                                   build and assemble only (.build-lv2/bundle/adaptive-eq.lv2)
#
# The library is linked with the Swift standard library statically (-static-stdlib), so the
# bundle runs on machines without a Swift toolchain, and exports only lv2_descriptor
# (scripts/lv2-exports.map). Needs lv2-dev (headers) and a Swift 6 toolchain.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${ADAPTIVE_EQ_LV2_SCRATCH:-$root/.build-lv2}"
install=1
dest="${HOME}/.lv2"
case "${1:-}" in
  --no-install) install=0 ;;
  -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  "") ;;
  *) dest="$1" ;;
esac

cd "$root"
echo "building the plugin library (release, -static-stdlib)…" >&2
swift build -c release --scratch-path "$scratch/plugin" --product AdaptiveEQLV2 \
  -Xswiftc -static-stdlib \
  -Xlinker --version-script="$root/scripts/lv2-exports.map" \
  -Xlinker --gc-sections -Xlinker -s >&2
echo "building the TTL generator…" >&2
swift build -c release --scratch-path "$scratch/tools" --product adaptive-eq-lv2-ttl >&2

lib="$(swift build -c release --scratch-path "$scratch/plugin" --show-bin-path)/libAdaptiveEQLV2.so"
ttl="$(swift build -c release --scratch-path "$scratch/tools" --show-bin-path)/adaptive-eq-lv2-ttl"

bundle="$scratch/bundle/adaptive-eq.lv2"
rm -rf "$bundle"
mkdir -p "$bundle"
cp "$lib" "$bundle/adaptive-eq.so"
cp "$root/Sources/AdaptiveEQResources/Resources/static_terms.tsv" "$bundle/"
# The trained model, when the package ships one (adaptive mode needs it).
model="$root/Sources/AdaptiveEQResources/Resources/AdaptiveEQModel.safetensors"
[ -f "$model" ] && cp "$model" "$bundle/"
"$ttl" "$bundle" --binary adaptive-eq.so

# The library must export exactly one symbol.
exported="$(nm -D --defined-only "$bundle/adaptive-eq.so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u)"
if [ "$exported" != "lv2_descriptor" ]; then
  echo "error: adaptive-eq.so exports more than lv2_descriptor:" >&2
  echo "$exported" >&2
  exit 1
fi
size="$(stat -c %s "$bundle/adaptive-eq.so")"
echo "bundle: $bundle (adaptive-eq.so $((size / 1024)) KiB)" >&2

if [ "$install" = 1 ]; then
  mkdir -p "$dest"
  rm -rf "$dest/adaptive-eq.lv2"
  cp -r "$bundle" "$dest/"
  echo "installed: $dest/adaptive-eq.lv2" >&2
  echo "$dest/adaptive-eq.lv2"
else
  echo "$bundle"
fi
