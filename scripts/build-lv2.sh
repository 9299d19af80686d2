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
. "$root/scripts/plugin-bundle.sh"
scratch="${ADAPTIVE_EQ_LV2_SCRATCH:-$root/.build-lv2}"
plugin_arguments 11 "${HOME}/.lv2" "$@"

cd "$root"
lib="$(build_plugin_library "$scratch/plugin" AdaptiveEQLV2 "$root/scripts/lv2-exports.map")"
check_plugin_library "$lib" "lv2_descriptor"
echo "building the TTL generator…" >&2
swift build -c release --scratch-path "$scratch/tools" --product adaptive-eq-lv2-ttl >&2
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
echo "bundle: $bundle" >&2
install_plugin_bundle "$bundle"
