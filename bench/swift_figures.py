"""Swift per-stage figures for bench/run.py: the Benchmarks/ package's exported percentiles,
or `adaptive-eq bench --json`, as {key: {"p50", "p99", "max", "mallocs_max"}} in µs."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import tempfile
from pathlib import Path

from measure import run

BENCHMARKS = Path(__file__).resolve().parent.parent / "Benchmarks"

# Names in the Benchmarks/ package, by the keys the bench scripts use.
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
    if shutil.which("swift") is None or not (BENCHMARKS / "Package.swift").exists():
        return None, "swift or Benchmarks/ not available"
    out = Path(tempfile.mkdtemp(prefix="aeq-bench-"))
    cmd = ["swift", "package", "--allow-writing-to-directory", str(out), "benchmark",
           "--format", "histogramPercentiles", "--path", str(out), "--no-progress"]
    log(f"running: (cd Benchmarks && {shlex.join(cmd)})")
    r = run(cmd, cwd=BENCHMARKS)
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


# `adaptive-eq bench --json` stage -> the bench scripts' key (see `adaptive-eq bench --help`).
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

