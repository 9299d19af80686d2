#!/usr/bin/env bash
# Builds the libFuzzer harness (Fuzz/FuzzTargets.swift) with -sanitize=fuzzer,address and runs
# each target for SECONDS (default 45) from its seed corpus in Fuzz/corpus/TARGET. Findings
# (crash-*, leak-*, timeout-* files) are written to .build-fuzz/findings/TARGET; the script
# exits non-zero if any target finds one. Usage: scripts/fuzz.sh [SECONDS] [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(model json automation vocabulary audio pluginstate)
out=.build-fuzz
mkdir -p "$out"
# Engine modules in dependency order, each a static library compiled with coverage
# instrumentation, then the harness linked against them and libFuzzer.
# -package-name: the modules share `package` declarations, as they do in the SwiftPM build.
flags=(-O -wmo -sanitize=fuzzer,address -parse-as-library -package-name AdaptiveEQ -I "$out" -I Sources/CSndfile -I "$out/ckernels"
       -I "$out/cfilecleanup")
build_module() {  # name, sources…
    local name=$1; shift
    swiftc "${flags[@]}" -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
        -emit-library -static -o "$out/lib$name.a" "$@"
}
stamp=$out/stamp-$(cat Sources/{EQCore,EQDSP,EQAnalysis,EQInference,AdaptiveEQ,AudioFile}/*.swift Sources/CKernels/kernels.* \
    Sources/CKernels/include/*.h Sources/CFileCleanup/*.c Sources/CFileCleanup/include/*.h Fuzz/*.swift | sha256sum | cut -c1-16)
if [ ! -x "$out/aeq-fuzz" ] || [ ! -e "$stamp" ]; then
    rm -f "$out"/stamp-*
    echo "building the fuzz harness (log: $out/build.log)"
    exec 3>&1 >"$out/build.log" 2>&1
    # The C kernels: a module map for `import CKernels` and one object, instrumented too.
    mkdir -p "$out/ckernels"
    printf 'module CKernels {\n  header "%s"\n  export *\n}\n' "$(pwd)/Sources/CKernels/include/CKernels.h" \
        > "$out/ckernels/module.modulemap"
    clang -O2 -fsanitize=fuzzer-no-link,address -I Sources/CKernels/include -c Sources/CKernels/kernels.c \
        -o "$out/ckernels/kernels.o"
    # The same for the stop-signal clean-up AudioFile uses.
    mkdir -p "$out/cfilecleanup"
    printf 'module CFileCleanup {\n  header "%s"\n  export *\n}\n' "$(pwd)/Sources/CFileCleanup/include/CFileCleanup.h" \
        > "$out/cfilecleanup/module.modulemap"
    clang -O2 -fsanitize=fuzzer-no-link,address -I Sources/CFileCleanup/include -c Sources/CFileCleanup/cleanup.c \
        -o "$out/cfilecleanup/cleanup.o"
    build_module EQCore Sources/EQCore/*.swift
    build_module EQDSP Sources/EQDSP/*.swift
    build_module EQAnalysis Sources/EQAnalysis/*.swift
    build_module EQInference Sources/EQInference/*.swift
    build_module AdaptiveEQ Sources/AdaptiveEQ/*.swift
    build_module AudioFile Sources/AudioFile/*.swift
    swiftc "${flags[@]}" -o "$out/aeq-fuzz" Fuzz/FuzzTargets.swift "$out/ckernels/kernels.o" "$out/cfilecleanup/cleanup.o" -L "$out" \
        -lAdaptiveEQ -lAudioFile -lEQInference -lEQAnalysis -lEQDSP -lEQCore -lsndfile
    touch "$stamp"
    exec 1>&3 2>&1
fi
status=0
for t in "${targets[@]}"; do
    mkdir -p "$out/corpus/$t" "$out/findings/$t"
    echo "fuzz $t: ${seconds} s from Fuzz/corpus/$t"
    seeds=("Fuzz/corpus/$t"); max_len=65536
    if [ "$t" = model ]; then
        # The shipped model (1 MB, not copied into the corpus) is a seed that loads completely.
        mkdir -p "$out/seed-model"
        cp Sources/AdaptiveEQResources/Resources/AdaptiveEQModel.safetensors "$out/seed-model/"
        seeds+=("$out/seed-model"); max_len=1100000
    fi
    # New inputs go to the scratch corpus; the seeds in the repo stay as they are.
    if ! AEQ_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0 "$out/aeq-fuzz" "$out/corpus/$t" "${seeds[@]}" \
        -max_total_time="$seconds" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/findings/$t/" -print_final_stats=1 > "$out/$t.log" 2>&1; then
        echo "fuzz $t: FOUND a failure (see $out/$t.log and $out/findings/$t)"; tail -30 "$out/$t.log"; status=1
    else
        grep -E "stat::number_of_executed_runs|cov:" "$out/$t.log" | tail -2 | tr '\n' ' '; echo
    fi
done
exit $status
