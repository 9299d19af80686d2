#!/usr/bin/env python3
"""Side-by-side timing of AdaptiveEQ against its peers, in one run on one machine.

    python3 bench/run.py [--cli PATH] [--seconds 60] [--repeats 5] [--quick]

Measures, one after the other in the same process run:
  1. Swift per-stage figures: `adaptive-eq bench --json` if the CLI has it, else the
     ordo-one benchmarks in Benchmarks/ (`swift package benchmark`, percentiles exported);
  2. (a) EQ: scipy `sosfilt` (5-band and 10-stage chains, per 512-frame block with state,
     and whole file) vs our EQ per block and our CLI offline render;
  3. (b) seed-style prototype (PyTorch encoder on the whole 2-s window every 4 x 512
     samples, scipy biquads per 512-sample frame) vs our engine per analysis period;
  4. (c) ONNX Runtime on training/artifacts/encoder.onnx vs our analysis / encoder;
  5. our offline render (`adaptive-eq process --mode adaptive`) in x real time.
Writes bench/RESULTS.md (and bench/results.json). Python peers run on one thread, as the
Swift engine does.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One thread everywhere, as the Swift engine uses one (set before numpy/torch load).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.io.wavfile  # noqa: E402
import scipy.signal  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 512
FS = peers.SAMPLE_RATE


# ----------------------------------------------------------------------------- helpers

def pct(values_ns, q):
    return float(np.percentile(np.asarray(values_ns, dtype=np.float64), q)) / 1000.0  # -> µs


def stats_us(values_ns):
    return {"p50": pct(values_ns, 50), "p99": pct(values_ns, 99), "n": len(values_ns)}


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def ratio(peer, ours):
    if peer is None or ours is None or ours <= 0:
        return None
    return peer / ours


def make_signal(seconds, channels=2, seed=3):
    """Music-like test signal: noise through a low-pass whose corner sweeps slowly (so the
    adaptive engine keeps re-targeting), plus two tones; about -15 dBFS, float32."""
    rng = np.random.default_rng(seed)
    n = int(FS * seconds)
    t = np.arange(n) / FS
    out = np.empty((channels, n), dtype=np.float32)
    for c in range(channels):
        noise = rng.uniform(-1, 1, n)
        a = 0.5 + 0.45 * np.sin(2 * np.pi * 0.15 * t + c)
        # time-varying one-pole low-pass, in blocks of 256 (vectorised)
        y = np.empty(n)
        state = 0.0
        for s in range(0, n, 256):
            coef = a[s]
            seg, state = scipy.signal.lfilter([1 - coef], [1, -coef], noise[s:s + 256], zi=[state * coef])
            y[s:s + 256] = seg
            state = seg[-1]
        out[c] = 0.4 * y + 0.05 * np.sin(2 * np.pi * 220 * t) + 0.03 * np.sin(2 * np.pi * 1760 * t + 0.3)
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def load_avg():
    try:
        return os.getloadavg()
    except OSError:
        return None


# ----------------------------------------------------------------------------- Swift figures

# Names of the Benchmarks/ package and the keys used in this script.
SWIFT_NAMES = {
    "eq5_static": "EQ_5band_stereo512_static",
    "eq5_glide": "EQ_5band_stereo512_gliding",
    "eq10_static": "EQ_10stage_stereo512_static",
    "eq10_glide": "EQ_10stage_stereo512_gliding",
    "engine_block": "Engine_block_stereo512",
    "engine_period": "Engine_period_4x512",
    "mel_frame": "Mel_frame",
    "analysis": "Analysis_4frames_encode",
    "append": "Encoder_append",
    "encode": "Encode_streaming",
    "full_encoder": "Encoder_full_window",
    "decode": "Decode",
}


def swift_from_benchmarks(log):
    """Runs the Benchmarks/ package and reads its exported percentiles (µs)."""
    if shutil.which("swift") is None or not (ROOT / "Benchmarks" / "Package.swift").exists():
        return None, "swift or Benchmarks/ not available"
    out = Path(tempfile.mkdtemp(prefix="aeq-bench-"))
    cmd = ["swift", "package", "--allow-writing-to-directory", str(out), "benchmark",
           "--format", "histogramPercentiles", "--path", str(out), "--no-progress"]
    log(f"running: (cd Benchmarks && {shlex.join(cmd)})")
    r = run(cmd, cwd=ROOT / "Benchmarks")
    if r.returncode != 0:
        return None, "swift package benchmark failed: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    model_line = next((l for l in r.stderr.splitlines() + r.stdout.splitlines() if "model =" in l), "")
    figures = {}
    for key, name in SWIFT_NAMES.items():
        stem = name.replace(" ", "_")
        found = {}
        for metric in ("wallClock", "mallocCountTotal"):
            files = [p for p in out.glob(f"*.{metric}.histogram.percentiles.tsv") if f".{stem}." in p.name]
            if not files:
                continue
            rows = {}
            header = ""
            for line in files[0].read_text().splitlines():
                parts = line.split("\t")
                if len(parts) == 2 and parts[0].isdigit():
                    rows[int(parts[0])] = float(parts[1])
                else:
                    header = line
            scale = 1.0
            if metric == "wallClock":
                scale = {"(ns)": 1e-3, "(μs)": 1.0, "(us)": 1.0, "(ms)": 1e3}.get(
                    next((u for u in ("(ns)", "(μs)", "(us)", "(ms)") if u in header), "(ns)"), 1e-3)
            found[metric] = {q: v * scale for q, v in rows.items()}
        if "wallClock" in found:
            w = found["wallClock"]
            figures[key] = {"p50": w.get(50), "p99": w.get(99), "max": w.get(100),
                            "mallocs_max": found.get("mallocCountTotal", {}).get(100)}
    shutil.rmtree(out, ignore_errors=True)
    if not figures:
        return None, "no percentiles exported"
    return figures, "Benchmarks/ package (ordo-one/benchmark), " + model_line.strip()


def swift_from_cli_bench(cli, model_path, log):
    """`adaptive-eq bench --json`, if this build has it."""
    r = run([cli, "--help"])
    if not re.search(r"^\s+bench\b", r.stdout, re.M):
        return None, "this adaptive-eq build has no `bench` subcommand"
    cmd = [cli, "bench", "--json", "--model", str(model_path)]
    log(f"running: {shlex.join(cmd)}")
    r = run(cmd)
    if r.returncode != 0:
        return None, "adaptive-eq bench --json failed: " + r.stderr.strip()
    try:
        data = json.loads(r.stdout)
    except json.JSONDecodeError:
        return None, "adaptive-eq bench --json printed no JSON"
    return data, "adaptive-eq bench --json"


# `adaptive-eq bench --json` stage -> this script's key (see `adaptive-eq bench --help`).
CLI_BENCH_KEYS = {"block": "engine_block", "eq": "eq10_glide", "mel": "mel_frame",
                  "analysis": "analysis", "decoder": "decode"}


def cli_bench_map(data):
    figures = {}
    for stage, key in CLI_BENCH_KEYS.items():
        v = data.get(stage) if isinstance(data, dict) else None
        if isinstance(v, dict) and "median_us" in v:
            figures[key] = {"p50": v.get("median_us"), "p99": v.get("p99_us"), "max": v.get("max_us")}
    if isinstance(data, dict) and "block_allocations" in data:
        figures.setdefault("engine_block", {})["mallocs_max"] = data["block_allocations"]
    return figures


# ----------------------------------------------------------------------------- (a) EQ

def bench_sosfilt(signal, sos, blocks, repeats):
    """Per 512-frame stereo block with carried state, and over the whole signal."""
    zi = np.zeros((sos.shape[0], signal.shape[0], 2), dtype=sos.dtype)
    per_block = []
    n_blocks = min(blocks, signal.shape[1] // BLOCK)
    for b in range(n_blocks):
        x = signal[:, b * BLOCK:(b + 1) * BLOCK]
        t0 = peers.clock_ns()
        y, zi = scipy.signal.sosfilt(sos, x, axis=-1, zi=zi)
        per_block.append(peers.clock_ns() - t0)
    whole = []
    for _ in range(repeats):
        t0 = peers.clock_ns()
        y = scipy.signal.sosfilt(sos, signal, axis=-1)
        whole.append(peers.clock_ns() - t0)
    return stats_us(per_block[50:]), float(np.median(whole)) / 1e9, str(y.dtype)


def child_cpu_s():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def time_cli(cmd, repeats):
    """Median wall time and median CPU time (user + system) of a command, in seconds."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = child_cpu_s(), time.perf_counter()
        r = run(cmd)
        walls.append(time.perf_counter() - t0)
        cpus.append(child_cpu_s() - c0)
        if r.returncode != 0:
            return None, r.stderr.strip()
    return {"wall": float(np.median(walls)), "cpu": float(np.median(cpus))}, None


# ----------------------------------------------------------------------------- (b) prototype

def bench_prototype(signal, tensors, updates_max):
    proto = peers.SeedPrototype(tensors)
    mono = signal.mean(axis=0).astype(np.float32)
    window = proto.mel.samples
    timings = {k: [] for k in ("mel", "encoder", "decoder", "design")}
    per_frame = []
    first = ((window + BLOCK - 1) // BLOCK + 4) * BLOCK
    frames = (signal.shape[1] - first) // BLOCK
    updates = 0
    for f in range(frames):
        start = first + f * BLOCK
        if f % 4 == 0:
            proto.update(mono[start - window:start], timings)
            updates += 1
        t1 = peers.clock_ns()
        proto.filter_frame(signal[:, start:start + BLOCK])
        t2 = peers.clock_ns()
        per_frame.append(t2 - t1)
        if updates >= updates_max:
            break
    # An update period = the update itself + its four frames of filtering.
    upd = np.asarray(timings["mel"]) + timings["encoder"] + timings["decoder"] + timings["design"]
    frames4 = np.asarray(per_frame[: 4 * (len(per_frame) // 4)]).reshape(-1, 4).sum(axis=1)
    k = min(len(upd), len(frames4))
    period = upd[:k] + frames4[:k]
    return {"period": stats_us(period), "update_only": stats_us(upd),
            **{name: stats_us(v) for name, v in timings.items()},
            "eq_frame": stats_us(per_frame), "updates": int(k)}


# ----------------------------------------------------------------------------- (c) ONNX

def export_encoder_onnx(tensors, path):
    enc = peers.Encoder(tensors).eval()
    x = torch.zeros(1, peers.N_MELS, peers.FRAMES)
    torch.onnx.export(enc, (x,), str(path), input_names=["logmel_norm"], output_names=["z_audio"],
                      dynamic_axes={"logmel_norm": {0: "batch"}, "z_audio": {0: "batch"}},
                      opset_version=17, dynamo=False)


def ort_session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def time_calls(fn, runs, warmup=50):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = peers.clock_ns()
        fn()
        out.append(peers.clock_ns() - t0)
    return stats_us(out)


def bench_onnx(signal, tensors, onnx_path, decoder_path, runs, log):
    mel = peers.WindowMel(tensors)
    mono = signal.mean(axis=0).astype(np.float32)
    x = mel(mono[FS * 3: FS * 3 + mel.samples])[None]
    sess = ort_session(onnx_path)
    name = sess.get_inputs()[0].name
    res = {"input": f"{name} {sess.get_inputs()[0].shape}"}
    z_ort = sess.run(None, {name: x})[0]
    enc = peers.Encoder(tensors).eval()
    with torch.no_grad():
        z_torch = enc(torch.from_numpy(x)).numpy()
    res["parity_max_abs"] = float(np.max(np.abs(z_ort - z_torch)))
    res["ort_encoder"] = time_calls(lambda: sess.run(None, {name: x}), runs)
    xt = torch.from_numpy(x)

    def torch_enc():
        with torch.no_grad():
            enc(xt)
    res["torch_encoder"] = time_calls(torch_enc, runs)
    res["numpy_window_mel"] = time_calls(lambda: mel(mono[FS * 3: FS * 3 + mel.samples]), max(200, runs // 5))
    if decoder_path is not None and decoder_path.exists():
        dsess = ort_session(decoder_path)
        dname = dsess.get_inputs()[0].name
        z = np.asarray(z_ort[:1], dtype=np.float32)
        res["ort_decoder"] = time_calls(lambda: dsess.run(None, {dname: z}), runs)
    dec = peers.Decoder(tensors).eval()
    zt = torch.from_numpy(np.asarray(z_ort[:1], dtype=np.float32))

    def torch_dec():
        with torch.no_grad():
            dec(zt)
    res["torch_decoder"] = time_calls(torch_dec, runs)
    return res


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
    sw = lambda k, q="p50": (swift.get(k) or {}).get(q)

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
    onnx = bench_onnx(signal, tensors, onnx_path, decoder_onnx, runs, log)

    load_end = load_avg()
    finished = dt.datetime.now(dt.timezone.utc)

    # ------------------------------------------------------------------ report
    import onnxruntime
    rows = []
    R = lambda *c: rows.append("| " + " | ".join(c) + " |")

    lines = [
        "# Benchmarks: AdaptiveEQ vs peers (one run)",
        "",
        f"Command (from the repository root): `{command}`",
        "",
        f"Run {started:%Y-%m-%d %H:%M} – {finished:%H:%M} UTC on {platform.node()} "
        f"({cpu_name()}, {os.cpu_count()} cores; load average {fmt_load(load_start)} at start, "
        f"{fmt_load(load_end)} at end — a shared machine, so tails are noisy; 1-min load when each part "
        f"started: " + ", ".join(f"{k} {fmt_load(v)}" for k, v in loads.items()) + ").",
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"torch {torch.__version__} (1 thread), onnxruntime {onnxruntime.__version__} (1 thread).",
        f"Code: {code_version(args.commit)}. Model: {model_origin}. Swift figures: {swift_source}.",
        f"Signal: {duration:.0f} s stereo float32 at 44.1 kHz, noise with a slowly sweeping low-pass plus two tones.",
        "",
        "All times are per call, in µs (median / p99). Ratio = peer time ÷ our time (higher is better for us).",
        ("Peers are timed in wall-clock time. " if args.wall else
         "Peers are timed in CPU time of their (single) thread, so preemption by other work on the machine is "
         "not charged to them; the Swift figures are wall-clock time (ordo-one/benchmark), which can only "
         "make ours look slower. The CLI is timed in CPU time (user + system of the process) with wall time beside it. ") +
        "Use `--wall` for wall-clock time throughout.",
        "",
    ]

    # (a)
    lines += ["## (a) EQ: scipy `sosfilt` vs our EQ", "",
              "| what | peer (scipy) | ours | ratio | target |", "|---|---|---|---|---|"]
    rows.clear()
    for label, key_static in (("5-band", "eq5_static"), ("10-stage", "eq10_static")):
        for dname in ("float32", "float64"):
            e = eq[(label, dname)]
            o50, o99 = sw(key_static), sw(key_static, "p99")
            R(f"{label} stereo 512-frame block, state carried ({dname} sosfilt)",
              f"{fmt(e['block']['p50'])} / {fmt(e['block']['p99'])}",
              f"{fmt(o50)} / {fmt(o99)} (Swift, static)",
              f"{fmt(ratio(e['block']['p50'], o50), 2)}× / {fmt(ratio(e['block']['p99'], o99), 2)}×", "≥ 1×")
    for label, key_glide in (("5-band", "eq5_glide"), ("10-stage", "eq10_glide")):
        e = eq[(label, "float32")]
        R(f"{label} block, ours while parameters glide (scipy cannot glide)",
          f"{fmt(e['block']['p50'])} / {fmt(e['block']['p99'])}",
          f"{fmt(sw(key_glide))} / {fmt(sw(key_glide, 'p99'))}",
          f"{fmt(ratio(e['block']['p50'], sw(key_glide)), 2)}×", "≥ 1×")
    whole5 = eq[("5-band", "float32")]["whole_s"]
    whole10 = eq[("10-stage", "float32")]["whole_s"]
    clock = "wall" if args.wall else "cpu"

    def cli_cell(c):
        if not c:
            return "n/a"
        return (f"{c[clock] * 1e3:.1f} ms ({duration / c[clock]:.0f}× RT; "
                f"{'CPU' if clock == 'cpu' else 'wall'}; {'wall' if clock == 'cpu' else 'CPU'} "
                f"{c['cpu' if clock == 'wall' else 'wall'] * 1e3:.1f} ms)")
    cli_t = lambda c: c[clock] if c else None
    R(f"whole {duration:.0f}-s file, 5-band: sosfilt in memory vs `adaptive-eq process --eq` (file in → file out, incl. WAV I/O and start-up)",
      f"{whole5 * 1e3:.1f} ms ({duration / whole5:.0f}× RT)", cli_cell(cli_eq),
      f"{fmt(ratio(whole5, cli_t(cli_eq)), 2)}×", "≥ 1×")
    if cli_eq and cli_startup:
        net = cli_eq[clock] - cli_startup[clock]
        R("same, ours minus the CLI's fixed cost (start-up and a 0.1-s file)",
          f"{whole5 * 1e3:.1f} ms", f"{net * 1e3:.1f} ms ({duration / net:.0f}× RT)",
          f"{fmt(ratio(whole5, net), 2)}×", "≥ 1×")
    n_blocks = signal.shape[1] // BLOCK
    for label, key, whole in (("5-band", "eq5_static", whole5), ("10-stage", "eq10_static", whole10)):
        ours_mem = sw(key) * n_blocks / 1e6 if sw(key) else None
        R(f"whole file, {label}: sosfilt in memory vs our EQ in memory ({n_blocks} × the per-block median)",
          f"{whole * 1e3:.1f} ms ({duration / whole:.0f}× RT)",
          f"{ours_mem * 1e3:.1f} ms ({duration / ours_mem:.0f}× RT)" if ours_mem else "n/a",
          f"{fmt(ratio(whole, ours_mem), 2)}×", "≥ 1×")
    R(f"whole file, 10-stage: sosfilt vs `adaptive-eq process --mode adaptive` (10 stages + analysis + I/O)",
      f"{whole10 * 1e3:.1f} ms ({duration / whole10:.0f}× RT)", cli_cell(cli_adaptive),
      f"{fmt(ratio(whole10, cli_t(cli_adaptive)), 2)}×", "≥ 1×")
    lines += rows + [""]

    # (b)
    p = proto
    o50, o99 = sw("engine_period"), sw("engine_period", "p99")
    lines += ["## (b) Seed-style prototype vs our engine", "",
              "Prototype, per update (every 4 × 512 samples): log-mel of the whole 176-frame window (numpy), "
              "PyTorch encoder on it, PyTorch decoder for z_audio and z_final (one batch of 2), ten RBJ designs, "
              "then scipy `sosfilt` on each of the four 512-sample stereo frames with carried state. "
              "Ours: `StreamingAdaptiveEQ.process` on four 512-frame stereo blocks (one analysis period, "
              "analysis included). "
              f"{p['updates']} prototype updates measured.", "",
              "| what | prototype | ours | ratio | target |", "|---|---|---|---|---|"]
    rows.clear()
    R("one analysis period (4 blocks incl. one update)", f"{fmt(p['period']['p50'])} / {fmt(p['period']['p99'])}",
      f"{fmt(o50)} / {fmt(o99)}", f"{fmt(ratio(p['period']['p50'], o50), 0)}× / {fmt(ratio(p['period']['p99'], o99), 0)}×",
      "≥ 100×")
    R("per block (period ÷ 4 vs our engine block)", f"{fmt(p['period']['p50'] / 4)}",
      f"{fmt(sw('engine_block'))} / {fmt(sw('engine_block', 'p99'))}",
      f"{fmt(ratio(p['period']['p50'] / 4, sw('engine_block')), 0)}×", "≥ 100×")
    R("mel of the window vs ours (4 new mel frames ≈ 4 × mel frame)", f"{fmt(p['mel']['p50'])} / {fmt(p['mel']['p99'])}",
      f"{fmt(4 * sw('mel_frame')) if sw('mel_frame') else 'n/a'}", f"{fmt(ratio(p['mel']['p50'], 4 * sw('mel_frame') if sw('mel_frame') else None), 0)}×", "")
    R("encoder (whole window) vs our streaming encode", f"{fmt(p['encoder']['p50'])} / {fmt(p['encoder']['p99'])}",
      f"{fmt(sw('encode'))} / {fmt(sw('encode', 'p99'))}", f"{fmt(ratio(p['encoder']['p50'], sw('encode')), 0)}×", "")
    R("decoder (2 latents) vs ours (2 decodes)", f"{fmt(p['decoder']['p50'])} / {fmt(p['decoder']['p99'])}",
      f"{fmt(2 * sw('decode')) if sw('decode') else 'n/a'}",
      f"{fmt(ratio(p['decoder']['p50'], 2 * sw('decode') if sw('decode') else None), 0)}×", "")
    R("EQ per 512 frame (10 sosfilt sections, float64) vs our 10-stage gliding block",
      f"{fmt(p['eq_frame']['p50'])} / {fmt(p['eq_frame']['p99'])}",
      f"{fmt(sw('eq10_glide'))} / {fmt(sw('eq10_glide', 'p99'))}", f"{fmt(ratio(p['eq_frame']['p50'], sw('eq10_glide')), 2)}×", "")
    lines += rows + [""]

    # (c)
    o = onnx
    lines += ["## (c) ONNX Runtime vs our encoder", "",
              f"ONNX model: {onnx_origin}; input `{o['input']}` = the normalised log-mel of one 176-frame window. "
              f"ORT and PyTorch outputs agree to {o['parity_max_abs']:.1e} (max abs) on the same input.", "",
              "| what | peer | ours | ratio | target |", "|---|---|---|---|---|"]
    rows.clear()
    R("ORT encoder (whole window) vs our analysis (4 mel frames + streaming encode)",
      f"{fmt(o['ort_encoder']['p50'])} / {fmt(o['ort_encoder']['p99'])}",
      f"{fmt(sw('analysis'))} / {fmt(sw('analysis', 'p99'))}",
      f"{fmt(ratio(o['ort_encoder']['p50'], sw('analysis')), 2)}× / {fmt(ratio(o['ort_encoder']['p99'], sw('analysis', 'p99')), 2)}×", "≥ 2×")
    R("ORT encoder vs our streaming encode alone",
      f"{fmt(o['ort_encoder']['p50'])} / {fmt(o['ort_encoder']['p99'])}",
      f"{fmt(sw('encode'))} / {fmt(sw('encode', 'p99'))}", f"{fmt(ratio(o['ort_encoder']['p50'], sw('encode')), 2)}×", "")
    R("ORT encoder vs our non-streaming encoder (same work: whole window)",
      f"{fmt(o['ort_encoder']['p50'])} / {fmt(o['ort_encoder']['p99'])}",
      f"{fmt(sw('full_encoder'))} / {fmt(sw('full_encoder', 'p99'))}", f"{fmt(ratio(o['ort_encoder']['p50'], sw('full_encoder')), 2)}×", "")
    R("PyTorch encoder (whole window) vs our analysis", f"{fmt(o['torch_encoder']['p50'])} / {fmt(o['torch_encoder']['p99'])}",
      f"{fmt(sw('analysis'))}", f"{fmt(ratio(o['torch_encoder']['p50'], sw('analysis')), 1)}×", "")
    if "ort_decoder" in o:
        R("ORT decoder vs our decode", f"{fmt(o['ort_decoder']['p50'])} / {fmt(o['ort_decoder']['p99'])}",
          f"{fmt(sw('decode'))} / {fmt(sw('decode', 'p99'))}", f"{fmt(ratio(o['ort_decoder']['p50'], sw('decode')), 1)}×", "")
    R("PyTorch decoder vs our decode", f"{fmt(o['torch_decoder']['p50'])} / {fmt(o['torch_decoder']['p99'])}",
      f"{fmt(sw('decode'))}", f"{fmt(ratio(o['torch_decoder']['p50'], sw('decode')), 1)}×", "")
    lines += rows + [""]

    if swift_source.startswith("Benchmarks"):
        lines += ["## Swift benchmarks (Benchmarks/ package, same run)", "",
                  "| benchmark | median µs | p99 µs | max µs | allocations (max) |", "|---|---|---|---|---|"]
        for key, name in SWIFT_NAMES.items():
            v = swift.get(key)
            if v:
                m = v.get("mallocs_max")
                lines.append(f"| `{name}` | {fmt(v.get('p50'), 2)} | {fmt(v.get('p99'))} | {fmt(v.get('max'))} | "
                             f"{'n/a' if m is None else int(m)} |")
        lines += [""]

    if cli_bench_raw is not None:
        lines += ["## `adaptive-eq bench --json` (same run)", "",
                  "| stage | median | p99 | Benchmarks/ package median / p99 |", "|---|---|---|---|"]
        for stage, key in CLI_BENCH_KEYS.items():
            v = cli_bench_raw.get(stage) or {}
            b = (swift if swift_source.startswith("Benchmarks") else {}).get(key) or {}
            lines.append(f"| {stage} | {fmt(v.get('median_us'))} | {fmt(v.get('p99_us'))} | "
                         f"{fmt(b.get('p50'))} / {fmt(b.get('p99'))} |")
        extra = {k: v for k, v in cli_bench_raw.items() if not isinstance(v, dict)}
        lines += ["", "Other fields: " + ", ".join(f"`{k}` = {v:.0f}" if isinstance(v, float) else f"`{k}` = {v}"
                                                  for k, v in extra.items()), ""]

    # Targets
    lines += ["## Our figures against EVALUATION.md", "",
              "| figure | measured | target | met? |", "|---|---|---|---|"]
    rows.clear()

    def check(name, value, limit, unit="µs", larger_is_better=False, shown=None):
        if value is None:
            R(name, "n/a", f"{'≥' if larger_is_better else '≤'} {limit} {unit}", "not measured")
            return
        ok = value >= limit if larger_is_better else value <= limit
        R(name, shown or f"{fmt(value)} {unit}", f"{'≥' if larger_is_better else '≤'} {limit} {unit}", "yes" if ok else "**no**")
    check("engine block, median", sw("engine_block"), 20)
    check("engine block, p99", sw("engine_block", "p99"), 150)
    mallocs = [v.get("mallocs_max") for v in swift.values() if isinstance(v, dict) and v.get("mallocs_max") is not None]
    R("allocations per call (all Swift benchmarks, max)", f"{int(max(mallocs))}" if mallocs else "n/a", "0",
      ("yes" if max(mallocs) == 0 else "**no**") if mallocs else "not measured")
    check("analysis (mel of new frames + encoder), median", sw("analysis"), 100)
    check("decode, median", sw("decode"), 10)
    if cli_adaptive:
        check(f"offline render, adaptive, file → file ({'CPU' if clock == 'cpu' else 'wall'} time)",
              duration / cli_adaptive[clock], 300, "× RT", True)
    if cli_bench_raw is not None and isinstance(cli_bench_raw.get("offline_realtime_factor"), (int, float)):
        check("offline render from memory (`adaptive-eq bench`)", float(cli_bench_raw["offline_realtime_factor"]), 300, "× RT", True)
    check("vs seed-style prototype (per analysis period, median)", ratio(p["period"]["p50"], o50), 100, "×", True)
    check("vs ONNX Runtime encoder (median)", ratio(o["ort_encoder"]["p50"], sw("analysis")), 2, "×", True)
    check("vs scipy sosfilt, 5-band per block (float32, median)", ratio(eq[("5-band", "float32")]["block"]["p50"], sw("eq5_static")), 1, "×", True)
    check("vs scipy sosfilt, 5-band whole file in memory", ratio(whole5, sw("eq5_static") * (signal.shape[1] // BLOCK) / 1e6 if sw("eq5_static") else None), 1, "×", True)
    check("vs scipy sosfilt, 5-band whole file (CLI incl. I/O)", ratio(whole5, cli_t(cli_eq)), 1, "×", True)
    lines += rows + [""]

    lines += ["## Prototype stage breakdown (µs, median / p99)", "",
              "| stage | prototype | seed's own figure |", "|---|---|---|",
              f"| log-mel of the window (numpy) | {fmt(p['mel']['p50'])} / {fmt(p['mel']['p99'])} | — |",
              f"| encoder (PyTorch) | {fmt(p['encoder']['p50'])} / {fmt(p['encoder']['p99'])} | 1,000–2,000 (4,400 measured in PyTorch) |",
              f"| decoder ×2 (PyTorch) | {fmt(p['decoder']['p50'])} / {fmt(p['decoder']['p99'])} | 500–1,000 each |",
              f"| ten RBJ designs (Python) | {fmt(p['design']['p50'])} / {fmt(p['design']['p99'])} | — |",
              f"| EQ, one 512 frame (scipy) | {fmt(p['eq_frame']['p50'])} / {fmt(p['eq_frame']['p99'])} | 200–500 per update |",
              ""]
    lines += ["## Notes", ""] + [f"- {n}" for n in notes + [
        "scipy `sosfilt` keeps float32 when both signal and sections are float32; the float64 rows are scipy's usual path.",
        "Per-block peer timings include the Python call overhead a block-wise Python host pays; whole-file rows do not.",
        "Our whole-file rows are the CLI as a user runs it (process start, WAV read and write); scipy's are in-memory.",
        "Swift benchmark timings copy the next 512-frame slice of a long signal into the block buffers outside the measured region.",
    ]] + [""]
    Path(args.out).write_text("\n".join(lines))
    results = {"command": command, "started": started.isoformat(), "model": model_origin, "swift_source": swift_source,
               "swift": swift, "cli_bench_raw": cli_bench_raw, "prototype": proto, "onnx": onnx,
               "sosfilt": {f"{k[0]} {k[1]}": v for k, v in eq.items()},
               "cli": {"eq_s": cli_eq, "adaptive_s": cli_adaptive, "startup_s": cli_startup, "duration_s": duration},
               "notes": notes}
    Path(args.out).with_name("results.json").write_text(json.dumps(results, indent=1, default=str))
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"wrote {args.out}")
    print("\n".join(lines))


def code_version(given):
    r = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    if r.returncode == 0:
        dirty = run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
        return f"commit {r.stdout.strip()}" + (" with uncommitted changes" if dirty else "")
    return f"commit {given} (exported tree)" if given else "not a git checkout"


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fmt_load(l):
    return "n/a" if l is None else f"{l[0]:.1f}"


if __name__ == "__main__":
    main()
