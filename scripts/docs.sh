#!/usr/bin/env bash
# Builds the API documentation of the library products as static HTML with DocC (the
# swift-docc-plugin), into build/docs/MODULE.doccarchive (ignored by git), and fails on:
#   - any DocC warning (an unresolved ``link``, a documented parameter that does not exist…),
#   - a public symbol without a /// comment (scripts/check-doc-comments.py names each one),
#   - a ```swift block in an article that is not code from Examples/ (scripts/check-doc-code.py).
# View one: python3 -m http.server -d build/docs/AdaptiveEQ.doccarchive, then open
# http://127.0.0.1:8000/documentation/adaptiveeq
set -euo pipefail
cd "$(dirname "$0")/.."
modules=(AdaptiveEQ EQCore EQDSP AudioFile)
out=build/docs
targets=()
for m in "${modules[@]}"; do targets+=(--target "$m"); done
python3 scripts/check-doc-code.py
mkdir -p "$out"
swift package --allow-writing-to-directory "$out" generate-documentation "${targets[@]}" \
    --output-path "$out" --transform-for-static-hosting --warnings-as-errors
python3 scripts/check-doc-comments.py "${modules[@]}"
