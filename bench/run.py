#!/usr/bin/env python3
"""Side-by-side timing of AdaptiveEQ against its peers, in one run on one machine.

    python3 bench/run.py [--cli PATH] [--model PATH] [--onnx PATH] [--seconds 60] [--repeats 5]
                         [--no-swift-benchmarks] [--quick] [--wall] [--out PATH] [--commit ID]

Measures, one after the other in the same process run:
  1. Swift per-stage figures: the ordo-one benchmarks in Benchmarks/ (`swift package
     benchmark`, percentiles exported), and `adaptive-eq bench --json` if the CLI has it
     (its figures stand in when the Benchmarks/ package is skipped or fails);
  2. (a) EQ: scipy `sosfilt` (5-band and 10-stage chains, per 512-frame block with state,
     and whole file) vs our EQ per block and our CLI offline renders (`adaptive-eq process
     --eq`, and `--mode adaptive` in x real time);
  3. (b) seed-style prototype (PyTorch encoder on the whole 2-s window every 4 x 512
     samples, scipy biquads per 512-sample frame) vs our engine per analysis period;
  4. (c) ONNX Runtime on training/artifacts/encoder.onnx vs our analysis / encoder.
Writes bench/RESULTS.md (and bench/results.json beside it; --out moves both). Python peers
run on one thread, as the Swift engine does.

This file is the command line and the order of the measurements; the Swift figures are read
in swift_figures.py, the peers are timed in measure.py (the peers themselves are peers.py),
and report.py writes RESULTS.md and results.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

# One thread everywhere, as the Swift engine uses one (set before numpy/torch load).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.io.wavfile  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402
import report  # noqa: E402
from measure import (BLOCK, FS, bench_onnx, bench_prototype, bench_sosfilt, export_encoder_onnx,  # noqa: E402
                     make_signal, run, time_cli)
from swift_figures import cli_bench_map, swift_from_benchmarks, swift_from_cli_bench  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def load_avg():
    try:
        return os.getloadavg()
    except OSError:
        return None


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", help="adaptive-eq binary (default: .build/release/adaptive-eq)")
    ap.add_argument("--model", help="model file (default: the package resource)")
    ap.add_argument("--onnx", help="encoder ONNX (default: training/artifacts/encoder.onnx)")
    ap.add_argument("--seconds", type=float, default=60, help="length of the offline test file")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each whole-file measurement")
    ap.add_argument("--no-swift-benchmarks", action="store_true", help="skip the Benchmarks/ package")
    ap.add_argument("--quick", action="store_true", help="fewer iterations (smoke test)")
    ap.add_argument("--wall", action="store_true",
                    help="time the peers in wall-clock time (default: CPU time of the calling thread)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    ap.add_argument("--commit", help="commit to name in the report when the tree is not a git checkout "
                                     "(e.g. a `git archive` export)")
    args = ap.parse_args()
    if args.wall:
        peers.clock_ns = time.perf_counter_ns
    command = "python3 " + " ".join(shlex.quote(a) for a in [os.path.relpath(__file__, ROOT)] + sys.argv[1:])
    notes = []
    log = lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True)
    started = dt.datetime.now(dt.timezone.utc)
    load_start = load_avg()
    loads = {}

    cli = Path(args.cli) if args.cli else ROOT / ".build" / "release" / "adaptive-eq"
    if not cli.exists():
        cli = None
        notes.append("adaptive-eq binary not found: CLI rows skipped (build with `swift build -c release`).")
    model_path = Path(args.model) if args.model else ROOT / "Sources/AdaptiveEQResources/Resources/AdaptiveEQModel.safetensors"
    tmp = Path(tempfile.mkdtemp(prefix="aeq-run-"))
    tensors, terms, model_origin = peers.load_model(model_path if model_path.exists() else None)
    if not model_path.exists():
        # Same random weights for the CLI, the Swift benchmarks and the Python peers.
        model_path = tmp / "random-model.safetensors"
        peers.save_model(tensors, terms, model_path)
        notes.append("No model file: all sides used one temporary model with seeded random weights.")
    os.environ["AEQ_MODEL_PATH"] = str(model_path)
    log(f"model: {model_origin}")

    runs = 300 if args.quick else 3000
    seconds = 10 if args.quick else args.seconds
    signal = make_signal(max(seconds, 12))
    wav_in = tmp / "in.wav"
    scipy.io.wavfile.write(wav_in, FS, signal.T.copy())
    tiny = tmp / "tiny.wav"
    scipy.io.wavfile.write(tiny, FS, signal[:, :FS // 10].T.copy())
    duration = signal.shape[1] / FS

    # 1. Swift per-stage figures
    swift, swift_source, cli_bench_raw = None, "not measured", None
    if cli is not None:
        cli_bench_raw, why = swift_from_cli_bench(str(cli), model_path, log)
        if cli_bench_raw is None:
            notes.append(why + ".")
    if not args.no_swift_benchmarks:
        swift, swift_source = swift_from_benchmarks(log)
        loads["Swift benchmarks"] = load_avg()
        if swift is None:
            notes.append("Swift benchmarks: " + swift_source)
    cli_figures = cli_bench_map(cli_bench_raw) if cli_bench_raw is not None else {}
    if cli_figures and swift is None:
        swift, swift_source = cli_figures, "adaptive-eq bench --json"
    elif cli_figures:
        swift_source += "; `adaptive-eq bench --json` run too (its figures are listed separately)"
    swift = swift or {}

    # 2. (a) EQ
    log("scipy sosfilt ...")
    loads["scipy / CLI"] = load_avg()
    blocks = 1000 if args.quick else 5000
    sos5 = peers.sos_five(peers.WARM)
    sos10 = peers.sos_ten(peers.WARM, peers.BRIGHT)
    eq = {}
    for label, sos in (("5-band", sos5), ("10-stage", sos10)):
        for dtype in (np.float32, np.float64):
            blk, whole, out_dtype = bench_sosfilt(signal.astype(dtype), sos.astype(dtype), blocks, args.repeats)
            eq[(label, np.dtype(dtype).name)] = {"block": blk, "whole_s": whole, "out_dtype": out_dtype}
    cli_eq = cli_adaptive = cli_startup = None
    if cli is not None:
        log("adaptive-eq offline renders ...")
        out = tmp / "out.wav"
        cli_startup, err = time_cli([str(cli), "process", str(tiny), str(out), "--eq",
                                     ",".join(map(str, peers.WARM)), "--force"], args.repeats)
        cli_eq, err = time_cli([str(cli), "process", str(wav_in), str(out), "--eq",
                                ",".join(map(str, peers.WARM)), "--force"], args.repeats)
        if err:
            notes.append(f"CLI --eq render failed: {err}")
        adaptive_cmd = [str(cli), "process", str(wav_in), str(out), "--term", "warm", "--intensity", "0.7",
                        "--mode", "adaptive", "--force"]
        adaptive_cmd += ["--model", str(model_path)]
        cli_adaptive, err = time_cli(adaptive_cmd, args.repeats)
        if err:
            notes.append(f"CLI adaptive render failed: {err}")

    # 3. (b) seed-style prototype
    log("seed-style prototype ...")
    loads["prototype"] = load_avg()
    proto = bench_prototype(signal, tensors, updates_max=150 if args.quick else 1000)

    # 4. (c) ONNX Runtime
    onnx_path = Path(args.onnx) if args.onnx else ROOT / "training" / "artifacts" / "encoder.onnx"
    decoder_onnx = onnx_path.parent / "decoder.onnx"
    onnx_origin = str(onnx_path.relative_to(ROOT)) if onnx_path.is_relative_to(ROOT) else str(onnx_path)
    if not onnx_path.exists():
        onnx_path = tmp / "encoder.onnx"
        export_encoder_onnx(tensors, onnx_path)
        decoder_onnx = None
        onnx_origin = "exported by this script from the same weights (training/artifacts/encoder.onnx absent)"
        notes.append("ONNX: " + onnx_origin + ".")
    log("onnxruntime ...")
    loads["onnxruntime"] = load_avg()
    onnx = bench_onnx(signal, tensors, onnx_path, decoder_onnx, runs)

    load_end = load_avg()
    finished = dt.datetime.now(dt.timezone.utc)

    lines = report.write(
        args.out, command=command, code=code_version(args.commit), wall=args.wall, started=started,
        finished=finished, load_start=load_start, load_end=load_end, loads=loads, model_origin=model_origin,
        swift=swift, swift_source=swift_source, cli_bench_raw=cli_bench_raw, eq=eq, cli_eq=cli_eq,
        cli_adaptive=cli_adaptive, cli_startup=cli_startup, duration=duration,
        n_blocks=signal.shape[1] // BLOCK, proto=proto, onnx=onnx, onnx_origin=onnx_origin, notes=notes)
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"wrote {args.out}")
    print("\n".join(lines))


def code_version(given):
    r = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    if r.returncode == 0:
        dirty = run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
        return f"commit {r.stdout.strip()}" + (" with uncommitted changes" if dirty else "")
    return f"commit {given} (exported tree)" if given else "not a git checkout"


if __name__ == "__main__":
    main()
