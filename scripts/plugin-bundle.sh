# Shared by scripts/build-lv2.sh and scripts/build-vst3.sh (sourced): the steps both plugin
# bundles take — arguments, a self-contained library, its exports, the install.

# plugin_arguments HELP_LAST_LINE DEFAULT_DEST "$@": sets install (1/0) and dest from the
# script's arguments (none, DEST or --no-install); -h prints the script's header comment.
plugin_arguments() {
  local help_last=$1
  dest=$2
  install=1
  shift 2
  case "${1:-}" in
    --no-install) install=0 ;;
    -h|--help) sed -n "2,${help_last}p" "$0"; exit 0 ;;
    "") ;;
    *) dest="$1" ;;
  esac
}

# build_plugin_library SCRATCH PRODUCT EXPORTS_MAP: builds PRODUCT (release) linked with the
# Swift standard library statically, so the bundle runs without a Swift toolchain, keeping
# only the symbols EXPORTS_MAP names, stripped; prints the library's path.
build_plugin_library() {
  local scratch=$1 product=$2 map=$3
  echo "building the plugin library (release, -static-stdlib)…" >&2
  swift build -c release --scratch-path "$scratch" --product "$product" \
    -Xswiftc -static-stdlib \
    -Xlinker --version-script="$map" \
    -Xlinker --gc-sections -Xlinker -s >&2
  echo "$(swift build -c release --scratch-path "$scratch" --show-bin-path)/lib$product.so"
}

# check_plugin_library LIBRARY "SYMBOL ...": fails unless LIBRARY exports exactly those
# symbols (in sorted order) and needs no shared Swift runtime or Foundation.
check_plugin_library() {
  local lib=$1 expected=$2 exported
  exported="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u | tr '\n' ' ')"
  if [ "$exported" != "$expected " ]; then
    echo "error: $(basename "$lib") must export exactly $expected; it exports:" >&2
    echo "$exported" >&2
    exit 1
  fi
  if ldd "$lib" | grep -E -q 'libswift|libFoundation'; then
    echo "error: $(basename "$lib") links a shared Swift library:" >&2
    ldd "$lib" >&2
    exit 1
  fi
  echo "library: $lib ($(( $(stat -c %s "$lib") / 1024 )) KiB)" >&2
}

# install_plugin_bundle BUNDLE: copies BUNDLE into $dest when installing; prints the path of
# the bundle to use (the installed one, or BUNDLE itself with --no-install).
install_plugin_bundle() {
  local bundle=$1
  if [ "$install" = 1 ]; then
    mkdir -p "$dest"
    rm -rf "$dest/$(basename "$bundle")"
    cp -r "$bundle" "$dest/"
    echo "installed: $dest/$(basename "$bundle")" >&2
    echo "$dest/$(basename "$bundle")"
  else
    echo "$bundle"
  fi
}
