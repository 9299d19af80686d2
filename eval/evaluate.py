#!/usr/bin/env python3
"""Evaluate the `adaptive-eq` CLI as a user runs it and write a markdown report with plots.

    python3 eval/evaluate.py [--bin PATH] [--clips DIR] [--real-clips DIR] [--model FILE] [--only a,b] [--quick]

`make eval` builds the CLI (release) and runs this. Environment overrides: EVAL_BIN,
EVAL_REAL_CLIPS (real recordings, default build/real/clips), EVAL_REAL_MAX (0 = all),
EVAL_CLIPS (synthetic clips, default build/clips), EVAL_MUSIC (6), EVAL_SPEECH (3), EVAL_MODEL,
EVAL_AUDEALIZE_MAX (all), EVAL_JOBS (2), EVAL_BENCH_RUNS (3),
EVAL_ONLY (comma-separated sections), EVAL_QUICK=1 (a development run of a few minutes).

Every figure is measured through the CLI on files: nothing here links the engine. One module
per figure of the evaluation brief lives in eval/sections/.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402
from harness import BUNDLED_MODEL, ROOT, SRC, Cli, Context, Report, env_int, real_clips, synthetic_clips  # noqa: E402
from sections import (adaptivity, bad_input, block_size, bounded_eq, click, colouration, contrast, cost,  # noqa: E402
                      direction, fidelity, latency, loudness, manual_eq, null, setup, vocabulary, word_direction)

#: (name for --only, module, needs clips, needs the model's vocabulary), in report order.
SECTIONS = [("word_direction", word_direction, True, True), ("bounded_eq", bounded_eq, True, True),
            ("loudness", loudness, True, True), ("adaptivity", adaptivity, True, True),
            ("colouration", colouration, True, True), ("fidelity", fidelity, False, True),
            ("contrast", contrast, True, True), ("null", null, True, False), ("manual_eq", manual_eq, False, False),
            ("click", click, False, False), ("latency", latency, False, False),
            ("block_size", block_size, True, False), ("direction", direction, True, False),
            ("cost", cost, False, False), ("bad_input", bad_input, False, False),
            ("vocabulary", vocabulary, False, True)]
ALIASES = {"bench": "cost", "bounded": "bounded_eq"}
QUICK = dict(real=20, music=3, speech=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("EVAL_BIN", str(ROOT / ".build-eval" / "release" / "adaptive-eq")))
    ap.add_argument("--clips", default=os.environ.get("EVAL_CLIPS", str(ROOT / "build" / "clips")))
    ap.add_argument("--real-clips", default=os.environ.get("EVAL_REAL_CLIPS", str(ROOT / "build" / "real" / "clips")))
    ap.add_argument("--model", default=os.environ.get("EVAL_MODEL") or None)
    ap.add_argument("--out", default=str(ROOT / "docs" / "EVALUATION_REPORT.md"))
    ap.add_argument("--only", default=os.environ.get("EVAL_ONLY", ""),
                    help="comma-separated sections: " + ", ".join(n for n, *_ in SECTIONS))
    ap.add_argument("--quick", action="store_true", default=os.environ.get("EVAL_QUICK") == "1",
                    help="development run: ≤ 20 real clips, fewer colourings, intensities and words")
    args = ap.parse_args()
    t0 = time.monotonic()
    binary = str(Path(args.bin).resolve())
    if not Path(binary).exists():
        sys.exit(f"evaluate: no CLI at {binary}; build it with `make eval` or pass --bin")
    only = {ALIASES.get(s.strip(), s.strip()) for s in args.only.split(",") if s.strip()}
    unknown = only - {n for n, *_ in SECTIONS}
    if unknown:
        sys.exit(f"evaluate: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(n for n, *_ in SECTIONS)}")
    cli = Cli(binary, str(Path(args.model).resolve()) if args.model else None)
    rep = Report()
    out_path = Path(args.out).resolve()
    tr = cli.run(["terms", "--json", "--all"], model=True, timeout=120)
    vocab = {}
    if tr.returncode == 0:
        vocab = {t["word"]: t for t in json.loads(tr.stdout)["terms"]}
    else:
        rep.problems.append(f"`adaptive-eq terms --json` failed: {tr.stderr.strip()[-200:]}")
    model_path = Path(cli.model) if cli.model else BUNDLED_MODEL

    with tempfile.TemporaryDirectory(prefix="aeq-eval-") as td:
        tmp = Path(td)
        real_folder = Path(args.real_clips)
        real, sources = real_clips(real_folder, tmp, env_int("EVAL_REAL_MAX", QUICK["real"] if args.quick else 0))
        synth = synthetic_clips(Path(args.clips), tmp, env_int("EVAL_MUSIC", QUICK["music"] if args.quick else 6),
                                env_int("EVAL_SPEECH", QUICK["speech"] if args.quick else 3))
        ctx = Context(rep, cli, vocab, tmp, max(1, env_int("EVAL_JOBS", 2)), args.quick, synth, real, real_folder, sources)
        if not real:
            rep.problems.append(f"no real recordings in `{real_folder}` (python -m training.real_corpus writes them): "
                                "the real-recording figures were measured on the synthetic clips only")
        if not synth:
            rep.problems.append(f"no synthetic clips in `{args.clips}` (python3 -m training.corpus writes them; it "
                                "needs fluidsynth and espeak-ng): measured on the real recordings only")
        setup.run(ctx, model_path)
        for name, mod, needs_clips, needs_vocab in SECTIONS:
            if only and name not in only:
                continue
            if (needs_clips and not ctx.clips) or (needs_vocab and not vocab):
                rep.figure(mod.TITLE, "not measured: " + ("no clips" if needs_clips and not ctx.clips else "no model"),
                           "—", False, mod.TITLE)
                continue
            t1 = time.monotonic()
            print(f"[eval] {name} …", file=sys.stderr, flush=True)
            try:
                mod.run(ctx)
            except Exception as e:  # report, never hide
                rep.problems.append(f"{name}: could not run: {type(e).__name__}: {str(e)[:300]}")
                rep.figure(mod.TITLE, "could not run (see Problems)", "—", False, mod.TITLE)
            print(f"[eval] {name} done in {time.monotonic() - t1:.0f} s", file=sys.stderr, flush=True)
        modules = [setup] + [mod for _, mod, *_ in SECTIONS]
        plots = report.make_plots(rep, modules, out_path.parent / "eval")
    command = ("make eval-head" if SRC != ROOT else "make eval") if os.environ.get("MAKELEVEL") else "python3 eval/evaluate.py"
    if args.quick:
        command = "EVAL_QUICK=1 " + command
    report.write(rep, [m.TITLE for m in modules], out_path, plots, time.monotonic() - t0, command)
    print(f"[eval] wrote {os.path.relpath(out_path, ROOT)} and {sum(map(len, plots.values()))} plots in "
          f"{(time.monotonic() - t0) / 60:.1f} min", file=sys.stderr)
    for f in rep.figures:
        print(f"  {'PASS' if f.passed else ('FAIL' if f.passed is False else '----')}  {f.name}: {f.measured}")


if __name__ == "__main__":
    main()
