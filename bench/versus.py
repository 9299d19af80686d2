#!/usr/bin/env python3
"""This build against a previous build and against pedalboard, side by side in one run.

    python3 bench/versus.py [--base-cli PATH] [--cli PATH] [--input WAV ...] [--seconds 60]
                            [--repeats 7] [--out bench/VERSUS.md]

1. `process --mode adaptive --term warm --intensity 0.7`, stereo float WAV -> WAV: CPU time
   (user + system of the child process) of both builds, run alternately, median of the runs.
2. `process --eq WARM`, the static 5-band EQ, the same; beside it pedalboard's chain of the
   same five filters (LowShelf, 3 x Peak, HighShelf; JUCE's C++ filters) on the same audio
   in memory, in CPU time of the calling thread.
3. Many short files: 100 files of 0.5 s rendered by one `process ... --output-dir --jobs 1`
   of each build. CPU per file beyond the audio = (CPU of that run - CPU of one file holding
   all 50 s) / 100: process start and model load cancel, what is left is what each file adds.
4. `adaptive-eq bench --json` of both builds: per-call medians of the real-time stages.

--base-cli defaults to the previous build bench/instructions.sh makes (.build-base/src-fe1013a);
--input files (e.g. real music) are joined and cut to --seconds, else sox makes pink noise
pulsing at 2 Hz. CPU times leave out time spent waiting for the other cores' work; the
machine should still be as quiet as possible. Writes --out (default bench/VERSUS.md).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.io.wavfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
WARM = [3, 180, -2, 400, 0.9, 1.5, 1200, 1.2, -3, 3500, 0.8, -4, 9000]  # peers.WARM
SHELF_Q = 0.71  # BandParameters.shelfQ
FS = 44_100


def child_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_of(cmd, must_succeed=True):
    c0 = child_cpu_s()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if must_succeed and r.returncode != 0:
        sys.exit(f"{Path(sys.argv[0]).name}: {' '.join(map(shlex.quote, cmd))} failed: {r.stderr.strip()}")
    return child_cpu_s() - c0


def alternate(commands, repeats, must_succeed=True):
    """Median CPU seconds of each command, the commands run in turn `repeats` times."""
    times = {k: [] for k in commands}
    for _ in range(repeats):
        for k, cmd in commands.items():
            times[k].append(cpu_of(cmd, must_succeed))
    return {k: statistics.median(v) for k, v in times.items()}


def pedalboard_cpu(audio, repeats):
    import pedalboard as pb
    p = WARM
    board = pb.Pedalboard([
        pb.LowShelfFilter(cutoff_frequency_hz=p[1], gain_db=p[0], q=SHELF_Q),
        pb.PeakFilter(cutoff_frequency_hz=p[3], gain_db=p[2], q=p[4]),
        pb.PeakFilter(cutoff_frequency_hz=p[6], gain_db=p[5], q=p[7]),
        pb.PeakFilter(cutoff_frequency_hz=p[9], gain_db=p[8], q=p[10]),
        pb.HighShelfFilter(cutoff_frequency_hz=p[12], gain_db=p[11], q=SHELF_Q),
    ])
    x = np.ascontiguousarray(audio.T, dtype=np.float32)  # [channels, frames]
    times = []
    for _ in range(repeats):
        board.reset()
        t0 = time.thread_time()
        board(x, FS, reset=True)
        times.append(time.thread_time() - t0)
    return statistics.median(times)


def bench_json(cli):
    r = subprocess.run([cli, "bench", "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError:
        return None


def stage_medians(report):
    """{stage: median µs} from `adaptive-eq bench --json` (stages are objects with median_us)."""
    return {k: v["median_us"] for k, v in report.items() if isinstance(v, dict) and "median_us" in v}


def shown(path):
    """A path as the report shows it: relative to the repository when inside it."""
    p = Path(path).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-cli", default=str(ROOT / ".build-base/src-fe1013a/.build/release/adaptive-eq"))
    ap.add_argument("--cli", default=str(ROOT / ".build/release/adaptive-eq"))
    ap.add_argument("--input", nargs="*", default=[])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=str(ROOT / "bench" / "VERSUS.md"))
    args = ap.parse_args()
    clis = {"previous": args.base_cli, "this": args.cli}
    for k, c in clis.items():
        if not os.access(c, os.X_OK):
            sys.exit(f"versus.py: {k} build '{c}' not found (bench/instructions.sh builds the previous one)")
    tmp = Path(tempfile.mkdtemp(prefix="aeq-versus-"))
    wav = tmp / "in.wav"
    if args.input:
        subprocess.run(["sox", *args.input, "-e", "floating-point", "-b", "32", "-c", "2", "-r", str(FS),
                        str(wav), "trim", "0", str(args.seconds)], check=True)
        source = "real audio: " + ", ".join(Path(p).name for p in args.input)
    else:
        subprocess.run(["sox", "-n", "-e", "floating-point", "-b", "32", "-c", "2", "-r", str(FS), str(wav),
                        "synth", str(args.seconds), "pinknoise", "vol", "0.2",
                        "synth", str(args.seconds), "sine", "amod", "2"], check=True)
        source = "pink noise pulsing at 2 Hz (sox)"
    rate, audio = scipy.io.wavfile.read(wav)
    seconds = audio.shape[0] / rate
    log = lambda m: print(f"[versus] {m}", file=sys.stderr, flush=True)

    rows = []
    log("process --mode adaptive ...")
    adaptive = alternate({k: [c, "process", str(wav), str(tmp / f"a-{k}.wav"), "--term", "warm", "--intensity",
                              "0.7", "--mode", "adaptive", "--force"] for k, c in clis.items()}, args.repeats)
    same = (tmp / "a-previous.wav").read_bytes() == (tmp / "a-this.wav").read_bytes()
    rows.append(("`process --mode adaptive` warm 0.7, CPU", adaptive, "s", seconds))
    log("process --eq ...")
    eq = ",".join(map(str, WARM))
    static = alternate({k: [c, "process", str(wav), str(tmp / f"e-{k}.wav"), "--eq", eq, "--force"]
                        for k, c in clis.items()}, args.repeats)
    same_eq = (tmp / "e-previous.wav").read_bytes() == (tmp / "e-this.wav").read_bytes()
    rows.append(("`process --eq` static 5-band, CPU", static, "s", seconds))
    log("pedalboard ...")
    try:
        pedal = pedalboard_cpu(audio, args.repeats)
    except ImportError:
        pedal = None

    log("100 short files ...")
    short = tmp / "short"
    short.mkdir()
    half = int(0.5 * rate)
    for i in range(100):
        start = (i * half) % max(audio.shape[0] - half, 1)
        scipy.io.wavfile.write(short / f"{i:03d}.wav", rate, audio[start:start + half])
    joined = tmp / "joined.wav"
    scipy.io.wavfile.write(joined, rate, np.concatenate([audio[(i * half) % max(audio.shape[0] - half, 1):][:half]
                                                         for i in range(100)]))
    per_file = {}
    for k, c in clis.items():
        common = ["--term", "warm", "--intensity", "0.7", "--mode", "adaptive", "--force"]
        t = alternate({"many": [c, "process", str(short), "--output-dir", str(tmp / f"out-{k}"), "--jobs", "1",
                                *common],
                       "one": [c, "process", str(joined), str(tmp / f"j-{k}.wav"), *common]}, args.repeats)
        per_file[k] = {"many": t["many"], "one": t["one"], "per_file_ms": (t["many"] - t["one"]) / 100 * 1e3}

    log("bench --json ...")
    stages = {k: stage_medians(bench_json(c) or {}) for k, c in clis.items()}

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [f"# This build against the previous one and pedalboard",
             "",
             f"Command: `python3 bench/versus.py {' '.join(map(shlex.quote, sys.argv[1:]))}` at commit {commit}; "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}.",
             f"Previous build: `{shown(clis['previous'])}`; this build: `{shown(clis['this'])}`. Audio: {seconds:.0f} s stereo "
             f"float WAV, {source}. Medians of {args.repeats} runs, builds alternating.",
             "",
             "| what | previous | this | ratio | × real time (this) |",
             "|---|---|---|---|---|"]
    for name, t, unit, secs in rows:
        lines.append(f"| {name} | {t['previous']:.3f} s | {t['this']:.3f} s | {t['previous'] / t['this']:.2f}× "
                     f"| {secs / t['this']:.0f}× |")
    lines.append(f"| 100 files of 0.5 s, CPU per file beyond the audio | {per_file['previous']['per_file_ms']:.1f} ms "
                 f"| {per_file['this']['per_file_ms']:.1f} ms | "
                 f"{per_file['previous']['per_file_ms'] / max(per_file['this']['per_file_ms'], 1e-6):.1f}× | |")
    for stage in sorted(set(stages["previous"]) | set(stages["this"])):
        a, b = stages["previous"].get(stage), stages["this"].get(stage)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0:
            lines.append(f"| `bench` {stage}, median µs per call | {a:.2f} | {b:.2f} | {a / b:.2f}× | |")
    lines += ["",
              f"Outputs of the two builds: adaptive {'byte-identical' if same else 'DIFFERENT'}, "
              f"static {'byte-identical' if same_eq else 'DIFFERENT'}.",
              "",
              "| static 5-band EQ on the same audio | CPU | × real time |",
              "|---|---|---|",
              f"| pedalboard 0.9 chain in memory (LowShelf, 3 Peak, HighShelf) | "
              + (f"{pedal:.3f} s | {seconds / pedal:.0f}× |" if pedal else "not installed | |"),
              f"| `adaptive-eq process --eq`, this build, file → file incl. start-up and WAV I/O | "
              f"{static['this']:.3f} s | {seconds / static['this']:.0f}× |",
              ""]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
