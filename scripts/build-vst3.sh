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
. "$root/scripts/plugin-bundle.sh"
scratch="${ADAPTIVE_EQ_VST3_SCRATCH:-$root/.build-vst3}"
plugin_arguments 14 "${HOME}/.vst3" "$@"

cd "$root"
lib="$(build_plugin_library "$scratch/plugin" AdaptiveEQVST3 "$root/scripts/vst3-exports.map")"
check_plugin_library "$lib" "GetPluginFactory ModuleEntry ModuleExit"

arch="$(uname -m)-linux"
bundle="$scratch/bundle/AdaptiveEQ.vst3"
rm -rf "$bundle"
mkdir -p "$bundle/Contents/$arch" "$bundle/Contents/Resources"
cp "$lib" "$bundle/Contents/$arch/AdaptiveEQ.so"
resources="$root/Sources/AdaptiveEQResources/Resources"
cp "$resources/static_terms.tsv" "$resources/AdaptiveEQModel.safetensors" "$resources/AdaptiveEQVocabulary.safetensors" \
  "$bundle/Contents/Resources/"
echo "bundle: $bundle" >&2
install_plugin_bundle "$bundle"
