#!/usr/bin/env bash
# Builds the AdaptiveEQ VST3 plugin and installs the bundle.
#
#   scripts/build-vst3.sh            build, assemble, install to ~/.vst3/AdaptiveEQ.vst3
#   scripts/build-vst3.sh DEST       install to DEST/AdaptiveEQ.vst3 instead
#   scripts/build-vst3.sh --no-install
#                                    build and assemble only (.build-vst3/bundle/AdaptiveEQ.vst3)
#
# The library is linked with the Swift standard library statically (-static-stdlib), so the
# bundle runs on machines without a Swift toolchain, and exports only GetPluginFactory,
# ModuleEntry and ModuleExit (scripts/vst3-exports.map). Layout (Linux):
#   AdaptiveEQ.vst3/Contents/x86_64-linux/AdaptiveEQ.so
#   AdaptiveEQ.vst3/Contents/Resources/{AdaptiveEQModel.safetensors, AdaptiveEQVocabulary.safetensors, static_terms.tsv}
# The last line printed on stdout is the bundle's path.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${ADAPTIVE_EQ_VST3_SCRATCH:-$root/.build-vst3}"
install=1
dest="${HOME}/.vst3"
case "${1:-}" in
  --no-install) install=0 ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  "") ;;
  *) dest="$1" ;;
esac

cd "$root"
echo "building the plugin library (release, -static-stdlib)…" >&2
swift build -c release --scratch-path "$scratch/plugin" --product AdaptiveEQVST3 \
  -Xswiftc -static-stdlib \
  -Xlinker --version-script="$root/scripts/vst3-exports.map" \
  -Xlinker --gc-sections -Xlinker -s >&2
lib="$(swift build -c release --scratch-path "$scratch/plugin" --show-bin-path)/libAdaptiveEQVST3.so"

arch="$(uname -m)-linux"
bundle="$scratch/bundle/AdaptiveEQ.vst3"
rm -rf "$bundle"
mkdir -p "$bundle/Contents/$arch" "$bundle/Contents/Resources"
cp "$lib" "$bundle/Contents/$arch/AdaptiveEQ.so"
resources="$root/Sources/AdaptiveEQResources/Resources"
cp "$resources/static_terms.tsv" "$resources/AdaptiveEQModel.safetensors" "$resources/AdaptiveEQVocabulary.safetensors" \
  "$bundle/Contents/Resources/"

# The library must export exactly the three entry points.
exported="$(nm -D --defined-only "$bundle/Contents/$arch/AdaptiveEQ.so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u | tr '\n' ' ')"
if [ "$exported" != "GetPluginFactory ModuleEntry ModuleExit " ]; then
  echo "error: AdaptiveEQ.so must export exactly GetPluginFactory, ModuleEntry and ModuleExit; it exports:" >&2
  echo "$exported" >&2
  exit 1
fi
# And must not need the Swift runtime or Foundation from the system.
if ldd "$bundle/Contents/$arch/AdaptiveEQ.so" | grep -E -q 'libswift|libFoundation'; then
  echo "error: AdaptiveEQ.so links a shared Swift library:" >&2
  ldd "$bundle/Contents/$arch/AdaptiveEQ.so" >&2
  exit 1
fi
size="$(stat -c %s "$bundle/Contents/$arch/AdaptiveEQ.so")"
echo "bundle: $bundle (AdaptiveEQ.so $((size / 1024)) KiB)" >&2

if [ "$install" = 1 ]; then
  mkdir -p "$dest"
  rm -rf "$dest/AdaptiveEQ.vst3"
  cp -r "$bundle" "$dest/"
  echo "installed: $dest/AdaptiveEQ.vst3" >&2
  echo "$dest/AdaptiveEQ.vst3"
else
  echo "$bundle"
fi
